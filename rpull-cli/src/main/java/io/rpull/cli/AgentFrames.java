package io.rpull.cli;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The agent socket's wire format: frames of one type byte, a big-endian length and a payload.
 * JDK classes only: the thin client that speaks it must start in tens of milliseconds.
 */
public final class AgentFrames {
  /** Wire format version, sent first in HELLO; an agent that speaks another answers DECLINE. */
  public static final int VERSION = 1;
  /** No frame is larger: output arrives in pieces, arguments and environment are small. */
  static final int MAX_FRAME = 1 << 20;

  // client -> agent
  public static final byte HELLO = 'H';
  public static final byte SIGNAL = 'S';
  public static final byte PASSWORD = 'P';
  public static final byte NO_PASSWORD = 'p';
  public static final byte STDIN = 'I';
  public static final byte STDIN_END = 'E';
  // agent -> client
  public static final byte STDOUT = 'O';
  public static final byte STDERR = 'R';
  public static final byte EXIT = 'X';
  public static final byte DECLINE = 'D';
  public static final byte ASK_PASSWORD = 'Q';
  public static final byte WANT_STDIN = 'N';

  private AgentFrames() {}

  /** One frame as read. */
  public record Frame(byte type, byte[] payload) {
    public String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    public int number() throws IOException {
      return new DataInputStream(new java.io.ByteArrayInputStream(payload)).readInt();
    }
  }

  /** What a client tells the agent first: the command and where it was typed. */
  public record Hello(int version, List<String> args, String workingDirectory, Map<String, String> environment,
      boolean interactive, int columns, int rows) {
    public byte[] encode() {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (DataOutputStream out = new DataOutputStream(bytes)) {
        out.writeInt(version);
        out.writeInt(args.size());
        for (String a : args) {
          writeString(out, a);
        }
        writeString(out, workingDirectory);
        out.writeInt(environment.size());
        for (Map.Entry<String, String> e : environment.entrySet()) {
          writeString(out, e.getKey());
          writeString(out, e.getValue());
        }
        out.writeBoolean(interactive);
        out.writeInt(columns);
        out.writeInt(rows);
      } catch (IOException e) {
        throw new IllegalStateException(e); // in memory
      }
      return bytes.toByteArray();
    }

    public static Hello decode(byte[] payload) throws IOException {
      DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(payload));
      int version = in.readInt();
      if (version != VERSION) {
        return new Hello(version, List.of(), "/", Map.of(), false, 80, 24);
      }
      int argc = in.readInt();
      List<String> args = new ArrayList<>();
      for (int i = 0; i < argc; i++) {
        args.add(readString(in));
      }
      String cwd = readString(in);
      int envc = in.readInt();
      Map<String, String> env = new LinkedHashMap<>();
      for (int i = 0; i < envc; i++) {
        env.put(readString(in), readString(in));
      }
      return new Hello(version, List.copyOf(args), cwd, env, in.readBoolean(), in.readInt(), in.readInt());
    }
  }

  public static void write(OutputStream out, byte type, byte[] payload) throws IOException {
    write(out, type, payload, 0, payload.length);
  }

  public static void write(OutputStream out, byte type, byte[] payload, int offset, int length) throws IOException {
    byte[] head = {type, (byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length};
    synchronized (out) {
      out.write(head);
      out.write(payload, offset, length);
      out.flush();
    }
  }

  public static void writeText(OutputStream out, byte type, String text) throws IOException {
    write(out, type, text.getBytes(StandardCharsets.UTF_8));
  }

  public static void writeNumber(OutputStream out, byte type, int number) throws IOException {
    write(out, type, new byte[] {(byte) (number >>> 24), (byte) (number >>> 16), (byte) (number >>> 8), (byte) number});
  }

  /** The next frame, or null at the end of the stream. */
  public static Frame read(DataInputStream in) throws IOException {
    int type = in.read();
    if (type < 0) {
      return null;
    }
    int length = in.readInt();
    if (length < 0 || length > MAX_FRAME) {
      throw new IOException("agent frame of " + length + " bytes: not an rpull agent connection");
    }
    byte[] payload = new byte[length];
    in.readFully(payload);
    return new Frame((byte) type, payload);
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > MAX_FRAME) {
      throw new EOFException("bad string length " + n);
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  /**
   * Streams over a socket channel that read and write independently: the JDK's
   * {@code Channels.newInputStream/newOutputStream} share the channel's blocking lock, so a read
   * waiting for the peer would hold up every write.
   */
  public static InputStream input(java.nio.channels.SocketChannel channel) {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
          return 0;
        }
        int n = channel.read(java.nio.ByteBuffer.wrap(b, off, len));
        return n == 0 ? read(b, off, len) : n;
      }
    };
  }

  public static OutputStream output(java.nio.channels.SocketChannel channel) {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(b, off, len);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
      }
    };
  }

  /** An output stream whose writes become frames of one type (the agent's stdout and stderr). */
  public static OutputStream framing(OutputStream out, byte type) {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        for (int done = 0; done < len; ) {
          int n = Math.min(len - done, MAX_FRAME);
          AgentFrames.write(out, type, b, off + done, n);
          done += n;
        }
      }
    };
  }

}
