package io.rpull.cli;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import sun.misc.Signal;

/**
 * The thin client: hands the command line to a running node agent and relays what it prints,
 * its prompts and its exit code. It loads JDK classes only (no picocli, gRPC, Netty, OkHttp or
 * Jackson), so a pull through the agent starts in tens of milliseconds.
 */
final class AgentClient {
  static final String DEFAULT_SOCKET = "/run/rpull/agent.sock";
  static final String SOCKET_VARIABLE = "RPULL_AGENT_SOCKET";
  /** What the agent needs of the caller's environment: ctr's variables and where docker's credentials are. */
  private static final List<String> FORWARDED = List.of("CONTAINERD_ADDRESS", "CONTAINERD_NAMESPACE",
      "CONTAINERD_SNAPSHOTTER", "DOCKER_CONFIG", "HOME", "COLUMNS", "LINES");
  /** After a signal is relayed, how long the agent has to end the command before the client exits anyway. */
  private static final long SIGNAL_GRACE_MILLIS = 3000;

  private final PrintStream out;
  private final PrintStream err;
  private final Map<String, String> environment;

  AgentClient(PrintStream out, PrintStream err, Map<String, String> environment) {
    this.out = out;
    this.err = err;
    this.environment = environment;
  }

  /**
   * Runs {@code args} through the agent.
   *
   * @return the command's exit code, or empty when there is no agent to run it (none listening,
   *     {@code --no-agent}, or the agent declined before printing anything): then run it here
   */
  OptionalInt run(String[] args) {
    if (List.of(args).contains("--no-agent")) {
      return OptionalInt.empty();
    }
    Path socket = socket(args);
    if (!Files.exists(socket)) {
      return OptionalInt.empty();
    }
    SocketChannel channel;
    try {
      channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
    } catch (IOException | RuntimeException e) {
      return OptionalInt.empty(); // a stale socket, or not ours to use: pull in this process
    }
    try (channel) {
      return converse(channel, args, socket);
    } catch (IOException e) {
      err.println("ctr: lost the rpull agent at " + socket + " (" + e.getMessage() + "); run the command again,"
          + " or with --no-agent");
      return OptionalInt.of(ExitCode.CONTAINERD.code);
    }
  }

  private OptionalInt converse(SocketChannel channel, String[] args, Path socket) throws IOException {
    OutputStream toAgent = AgentFrames.output(channel);
    DataInputStream fromAgent = new DataInputStream(new BufferedInputStream(AgentFrames.input(channel), 65536));
    boolean interactive = System.console() != null;
    Terminal terminal = interactive ? Terminal.query() : Terminal.DEFAULT;
    Map<String, String> env = new LinkedHashMap<>();
    FORWARDED.forEach(k -> {
      if (environment.containsKey(k)) {
        env.put(k, environment.get(k));
      }
    });
    AgentFrames.Hello hello = new AgentFrames.Hello(AgentFrames.VERSION, List.of(args),
        Path.of("").toAbsolutePath().toString(), env, interactive, terminal.columns(), terminal.rows());
    AgentFrames.write(toAgent, AgentFrames.HELLO, hello.encode());
    relaySignals(toAgent);
    boolean printed = false;
    while (true) {
      AgentFrames.Frame frame = AgentFrames.read(fromAgent);
      if (frame == null) {
        err.println("ctr: the rpull agent at " + socket + " stopped before the command finished: what was fetched"
            + " stays in containerd; run the same command again to resume");
        return OptionalInt.of(ExitCode.CONTAINERD.code);
      }
      switch (frame.type()) {
        case AgentFrames.STDOUT -> {
          out.write(frame.payload(), 0, frame.payload().length);
          out.flush();
          printed = true;
        }
        case AgentFrames.STDERR -> {
          err.write(frame.payload(), 0, frame.payload().length);
          err.flush();
          printed = true;
        }
        case AgentFrames.EXIT -> {
          return OptionalInt.of(frame.number());
        }
        case AgentFrames.DECLINE -> {
          if (printed) {
            return OptionalInt.of(ExitCode.FAILURE.code);
          }
          return OptionalInt.empty();
        }
        case AgentFrames.ASK_PASSWORD -> answerPassword(toAgent, frame.text());
        case AgentFrames.WANT_STDIN -> sendStandardInput(toAgent);
        default -> throw new IOException("unexpected frame '" + (char) frame.type() + "'");
      }
    }
  }

  private static Path socket(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--agent-socket") && i + 1 < args.length) {
        return Path.of(args[i + 1]);
      }
      if (args[i].startsWith("--agent-socket=")) {
        return Path.of(args[i].substring("--agent-socket=".length()));
      }
    }
    String fromEnv = System.getenv(SOCKET_VARIABLE);
    return Path.of(fromEnv == null || fromEnv.isEmpty() ? DEFAULT_SOCKET : fromEnv);
  }

  /** SIGINT and SIGTERM go to the agent, which ends the command as an in-process pull would. */
  private static void relaySignals(OutputStream toAgent) {
    for (String name : List.of("INT", "TERM")) {
      Signal.handle(new Signal(name), s -> {
        int code = 128 + s.getNumber();
        try {
          AgentFrames.writeNumber(toAgent, AgentFrames.SIGNAL, code);
        } catch (IOException e) {
          Runtime.getRuntime().halt(code);
        }
        Thread watchdog = new Thread(() -> {
          try {
            TimeUnit.MILLISECONDS.sleep(SIGNAL_GRACE_MILLIS);
          } catch (InterruptedException e) {
            return;
          }
          Runtime.getRuntime().halt(code);
        }, "rpull-signal-grace");
        watchdog.setDaemon(true);
        watchdog.start();
      });
    }
  }

  private static void answerPassword(OutputStream toAgent, String prompt) throws IOException {
    java.io.Console console = System.console();
    char[] password = console == null ? null : console.readPassword("%s", prompt);
    if (password == null) {
      AgentFrames.write(toAgent, AgentFrames.NO_PASSWORD, new byte[0]);
    } else {
      AgentFrames.write(toAgent, AgentFrames.PASSWORD,
          StandardCharsets.UTF_8.encode(java.nio.CharBuffer.wrap(password)).array());
    }
  }

  private static void sendStandardInput(OutputStream toAgent) {
    Thread copier = new Thread(() -> {
      InputStream in = System.in;
      byte[] buffer = new byte[65536];
      try {
        for (int n; (n = in.read(buffer)) > 0; ) {
          AgentFrames.write(toAgent, AgentFrames.STDIN, buffer, 0, n);
        }
        AgentFrames.write(toAgent, AgentFrames.STDIN_END, new byte[0]);
      } catch (IOException e) {
        // The agent went away; the main loop reports it.
      }
    }, "rpull-stdin");
    copier.setDaemon(true);
    copier.start();
  }

}
