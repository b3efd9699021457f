package io.rpull.cli;

import java.util.OptionalInt;

/**
 * {@code bin/rpull}'s entry point: a running node agent gets the command; without one (or with
 * --no-agent) it runs in this process. Only JDK classes are loaded before that choice.
 */
public final class Launcher {
  private Launcher() {}

  public static void main(String[] args) {
    OptionalInt delegated = new AgentClient(System.out, System.err, System.getenv()).run(args);
    if (delegated.isPresent()) {
      System.out.flush();
      System.exit(delegated.getAsInt());
    }
    Main.main(args);
  }
}
