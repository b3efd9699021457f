package io.rpull.cli;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** The size of the terminal standard output is on, as {@code stty} reports it; 80×24 when it cannot tell. */
public record Terminal(int columns, int rows) {
  public static final Terminal DEFAULT = new Terminal(80, 24);

  public static Terminal query() {
    try {
      Process stty = new ProcessBuilder("stty", "size").redirectInput(new File("/dev/tty"))
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      if (!stty.waitFor(1, TimeUnit.SECONDS)) {
        stty.destroyForcibly();
        return fromEnvironment();
      }
      String[] size = new String(stty.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim().split("\\s+");
      if (size.length == 2) {
        int rows = Integer.parseInt(size[0]);
        int columns = Integer.parseInt(size[1]);
        if (rows > 0 && columns > 0) {
          return new Terminal(columns, rows);
        }
      }
    } catch (java.io.IOException | NumberFormatException e) {
      // No stty or no terminal: fall through.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return fromEnvironment();
  }

  private static Terminal fromEnvironment() {
    try {
      return new Terminal(Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "80")),
          Integer.parseInt(System.getenv().getOrDefault("LINES", "24")));
    } catch (NumberFormatException e) {
      return DEFAULT;
    }
  }
}
