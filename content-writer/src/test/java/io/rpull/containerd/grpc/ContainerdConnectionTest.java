package io.rpull.containerd.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rpull.containerd.ContainerdException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A socket that cannot be used fails at once with the reason, not after gRPC's deadline. */
class ContainerdConnectionTest {
  @TempDir
  Path dir;

  private ContainerdException connect(Path socket) {
    // The messages below come from the plain-socket probe; gRPC would have waited out the deadline
    // and answered "UNAVAILABLE" with its channel state instead.
    ContainerdException e = assertThrows(ContainerdException.class,
        () -> ContainerdConnection.connect(socket, Duration.ofSeconds(30)));
    assertTrue(e.is(ContainerdException.Code.UNAVAILABLE), e.toString());
    assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    return e;
  }

  @Test
  void aStaleSocket_isRefusedConnection() throws Exception {
    Path socket = dir.resolve("containerd.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
    }
    assertTrue(Files.exists(socket), "a closed server leaves its socket file, as a crashed containerd does");
    assertTrue(connect(socket).getMessage().contains("connection refused (a stale socket"));
  }

  @Test
  void aFileThatIsNotASocket_saysSo() throws Exception {
    Path file = Files.writeString(dir.resolve("containerd.sock"), "");
    assertTrue(connect(file).getMessage().endsWith("not a socket (see --address)"));
  }

  @Test
  void aMissingSocket_saysItDoesNotExist() {
    assertTrue(connect(dir.resolve("none.sock")).getMessage().contains("does not exist"));
  }
}
