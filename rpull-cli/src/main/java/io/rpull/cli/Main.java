package io.rpull.cli;

import io.rpull.engine.Failures;
import java.io.PrintWriter;
import java.io.Writer;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;

/** Entry point: runs {@link RpullCommand}; a usage error is one {@code ctr: <message>} line and exit 2. */
public final class Main {
  private Main() {}

  /**
   * grpc-netty asks every channel for SO_KEEPALIVE, which a unix socket does not have; Netty logs
   * that as a warning on each connection. Held here so the level sticks (JUL keeps weak references).
   */
  private static final Logger NETTY_BOOTSTRAP = Logger.getLogger("io.grpc.netty.shaded.io.netty.bootstrap");

  public static void main(String[] args) {
    quietUnixSocketWarnings();
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** For every process that talks gRPC over unix sockets: rpull and rpulld. */
  public static void quietUnixSocketWarnings() {
    NETTY_BOOTSTRAP.setLevel(Level.SEVERE);
  }

  static int run(String[] args, PrintWriter out, PrintWriter err) {
    return execute(args, out, err, new LocalInvocation(), new LocalEngines(System.getenv()));
  }

  /**
   * Runs one command line for {@code invocation} with pulls on {@code engines}; the node agent
   * calls this for its clients.
   *
   * @return the exit code
   * @throws Declined when {@code engines} cannot serve the command
   */
  public static int execute(String[] args, PrintWriter out, PrintWriter err, Invocation invocation,
      PullEngines engines) {
    RpullCommand command = new RpullCommand(invocation, engines);
    CommandLine cli = commandLine(command, out, err);
    int code = cli.execute(args);
    if (command.declined.isPresent()) {
      throw new Declined(command.declined.get());
    }
    return code;
  }

  /**
   * The command line as {@code rpull --help} shows it, for what is generated from it (shell
   * completion); it runs nothing.
   */
  public static CommandLine described() {
    PrintWriter sink = new PrintWriter(Writer.nullWriter());
    return commandLine(new RpullCommand(new LocalInvocation(), new LocalEngines(Map.of())), sink, sink);
  }

  private static CommandLine commandLine(RpullCommand command, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(command)
        .setOut(out)
        .setErr(err)
        .setParameterExceptionHandler((ex, a) -> {
          err.println("ctr: " + ex.getMessage().replaceAll("\\p{Cntrl}", " ").strip());
          return ExitCode.USAGE.code;
        })
        .setExecutionExceptionHandler((ex, cmd, parseResult) -> {
          var error = Failures.classify(ex);
          err.println("ctr: " + error.message());
          if (command.debug) {
            ex.printStackTrace(err);
          }
          return ExitCode.of(error.failure()).code;
        });
    cli.getCommandSpec().usageMessage().exitCodeList(ExitCode.helpList());
    return cli;
  }
}
