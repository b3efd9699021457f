package io.rpull.cli;

import io.rpull.containerd.ContainerdException;
import io.rpull.fetch.RegistryException;
import java.io.PrintWriter;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;

/** Entry point: runs {@link RpullCommand}, maps failures to one {@code ctr: <message>} line and an exit code. */
public final class Main {
  private Main() {}

  /**
   * grpc-netty asks every channel for SO_KEEPALIVE, which a unix socket does not have; Netty logs
   * that as a warning on each connection. Held here so the level sticks (JUL keeps weak references).
   */
  private static final Logger NETTY_BOOTSTRAP = Logger.getLogger("io.grpc.netty.shaded.io.netty.bootstrap");

  public static void main(String[] args) {
    NETTY_BOOTSTRAP.setLevel(Level.SEVERE);
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  static int run(String[] args, PrintWriter out, PrintWriter err) {
    RpullCommand command = new RpullCommand();
    CommandLine cli = new CommandLine(command)
        .setOut(out)
        .setErr(err)
        .setParameterExceptionHandler((ex, a) -> {
          err.println("ctr: " + ex.getMessage());
          err.println("Run 'rpull --help' for usage.");
          return ExitCode.USAGE.code;
        })
        .setExecutionExceptionHandler((ex, cmd, parseResult) -> {
          err.println("ctr: " + messageOf(ex));
          if (command.debug) {
            ex.printStackTrace(err);
          }
          return ExitCode.of(ex).code;
        });
    return cli.execute(args);
  }

  static String messageOf(Throwable t) {
    if (t instanceof RegistryException || t instanceof ContainerdException || t.getMessage() != null) {
      return String.valueOf(t.getMessage()).replaceAll("\\p{Cntrl}", " ");
    }
    return t.toString();
  }
}
