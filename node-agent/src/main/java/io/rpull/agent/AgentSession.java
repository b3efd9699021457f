package io.rpull.agent;

import io.rpull.cli.AgentFrames;
import io.rpull.cli.Declined;
import io.rpull.cli.Invocation;
import io.rpull.cli.Main;
import io.rpull.cli.PullEngines;
import io.rpull.cli.Terminal;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintWriter;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.IntConsumer;

/**
 * One command line run for a thin client: the same command an in-process rpull runs, with the
 * client's arguments, environment, working directory and terminal, its output relayed as frames.
 * The client going away (Ctrl-C, kill) stops the command as an interrupt would.
 */
final class AgentSession implements Invocation, Runnable {
  private final SocketChannel channel;
  private final PullEngines engines;
  private final OutputStream toClient;
  private final DataInputStream fromClient;
  private final BlockingQueue<Optional<char[]>> passwords = new ArrayBlockingQueue<>(1);
  private volatile AgentFrames.Hello hello;
  private volatile IntConsumer interruptHandler;
  private volatile boolean ended;
  private volatile Thread commandThread;
  private PipedOutputStream stdinSink;
  private PipedInputStream stdin;

  AgentSession(SocketChannel channel, PullEngines engines) {
    this.channel = channel;
    this.engines = engines;
    this.toClient = AgentFrames.output(channel);
    this.fromClient = new DataInputStream(new BufferedInputStream(AgentFrames.input(channel)));
  }

  @Override
  public void run() {
    try (channel) {
      AgentFrames.Frame first = AgentFrames.read(fromClient);
      if (first == null || first.type() != AgentFrames.HELLO) {
        return;
      }
      hello = AgentFrames.Hello.decode(first.payload());
      if (hello.version() != AgentFrames.VERSION) {
        AgentFrames.writeText(toClient, AgentFrames.DECLINE, "agent speaks version " + AgentFrames.VERSION);
        return;
      }
      Thread reader = new Thread(this::readClient, "rpulld-client-reader");
      reader.setDaemon(true);
      commandThread = Thread.currentThread();
      reader.start();
      PrintWriter out = new PrintWriter(AgentFrames.framing(toClient, AgentFrames.STDOUT), true,
          StandardCharsets.UTF_8);
      PrintWriter err = new PrintWriter(AgentFrames.framing(toClient, AgentFrames.STDERR), true,
          StandardCharsets.UTF_8);
      int code;
      try {
        code = Main.execute(hello.args().toArray(String[]::new), out, err, this, engines);
      } catch (Declined e) {
        sendQuietly(AgentFrames.DECLINE, e.getMessage());
        return;
      } catch (RuntimeException | LinkageError e) {
        // A bug or a broken installation (its jar replaced under the running agent) must still end
        // the client's command, with a line that says where to look.
        sendQuietly(AgentFrames.STDERR, "ctr: the rpull agent failed while running the command (an internal"
            + " error, written to rpulld's log); run it again with --no-agent\n");
        exit(1);
        throw e; // to the thread's uncaught-exception handler: rpulld's log
      }
      out.flush();
      err.flush();
      exit(code);
    } catch (IOException e) {
      // The client went away; its command was stopped by readClient.
    } finally {
      Thread.interrupted();
    }
  }

  /** Frames from the client while its command runs: signals, password answers, standard input. */
  private void readClient() {
    try {
      for (AgentFrames.Frame f; (f = AgentFrames.read(fromClient)) != null; ) {
        switch (f.type()) {
          case AgentFrames.SIGNAL -> interrupt(f.number());
          case AgentFrames.PASSWORD -> passwords.offer(Optional.of(f.text().toCharArray()));
          case AgentFrames.NO_PASSWORD -> passwords.offer(Optional.empty());
          case AgentFrames.STDIN -> stdinSink().write(f.payload());
          case AgentFrames.STDIN_END -> stdinSink().close();
          default -> {
            return;
          }
        }
      }
    } catch (IOException e) {
      // fall through: the client is gone
    }
    if (!ended) {
      interrupt(143); // the client was killed or closed: stop its pull as SIGTERM would
    }
  }

  private void interrupt(int code) {
    IntConsumer handler = interruptHandler;
    if (handler != null) {
      handler.accept(code);
    } else {
      exit(code);
    }
  }

  @Override
  public Map<String, String> environment() {
    return hello.environment();
  }

  @Override
  public Path workingDirectory() {
    return Path.of(hello.workingDirectory());
  }

  @Override
  public boolean interactive() {
    return hello.interactive();
  }

  @Override
  public Terminal terminal() {
    return new Terminal(hello.columns(), hello.rows());
  }

  @Override
  public synchronized InputStream standardInput() {
    if (stdin == null) {
      try {
        stdinSink();
        sendQuietly(AgentFrames.WANT_STDIN, "");
      } catch (IOException e) {
        return InputStream.nullInputStream();
      }
    }
    return stdin;
  }

  private synchronized PipedOutputStream stdinSink() throws IOException {
    if (stdinSink == null) {
      stdin = new PipedInputStream(1 << 16);
      stdinSink = new PipedOutputStream(stdin);
    }
    return stdinSink;
  }

  @Override
  public Optional<char[]> readPassword(String prompt) {
    if (!hello.interactive()) {
      return Optional.empty();
    }
    sendQuietly(AgentFrames.ASK_PASSWORD, prompt);
    try {
      return passwords.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  @Override
  public void onInterrupt(IntConsumer stop) {
    interruptHandler = stop;
  }

  /** Ends the command for the client; the pull behind it is interrupted and stops. */
  @Override
  public synchronized void exit(int code) {
    if (ended) {
      return;
    }
    ended = true;
    try {
      AgentFrames.writeNumber(toClient, AgentFrames.EXIT, code);
    } catch (IOException e) {
      // the client is gone
    }
    Thread command = commandThread;
    if (command != null && command != Thread.currentThread()) {
      command.interrupt();
    }
  }

  private void sendQuietly(byte type, String text) {
    try {
      AgentFrames.writeText(toClient, type, text);
    } catch (IOException e) {
      // the client is gone; readClient stops the command
    }
  }
}
