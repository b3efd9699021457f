package io.rpull.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentFramesTest {
  @Test
  void hello_roundTrips() throws IOException {
    AgentFrames.Hello hello = new AgentFrames.Hello(AgentFrames.VERSION, List.of("-n", "ns", "ünïcode"), "/work",
        Map.of("CONTAINERD_NAMESPACE", "x"), true, 120, 40);
    assertEquals(hello, AgentFrames.Hello.decode(hello.encode()));
  }

  @Test
  void framesInOrder_thenTheEnd() throws IOException {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    OutputStream stdout = AgentFrames.framing(wire, AgentFrames.STDOUT);
    stdout.write("done\n".getBytes(StandardCharsets.UTF_8));
    AgentFrames.writeNumber(wire, AgentFrames.EXIT, 143);
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(wire.toByteArray()));
    AgentFrames.Frame out = AgentFrames.read(in);
    assertEquals(AgentFrames.STDOUT, out.type());
    assertArrayEquals("done\n".getBytes(StandardCharsets.UTF_8), out.payload());
    AgentFrames.Frame exit = AgentFrames.read(in);
    assertEquals(143, exit.number());
    assertNull(AgentFrames.read(in));
  }

  @Test
  void aLengthNoAgentWouldSend_isRefused() {
    byte[] bogus = {'O', 0x7f, 0, 0, 0};
    assertThrows(IOException.class, () -> AgentFrames.read(new DataInputStream(new ByteArrayInputStream(bogus))));
  }
}
