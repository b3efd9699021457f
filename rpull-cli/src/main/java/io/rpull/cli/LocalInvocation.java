package io.rpull.cli;

import java.io.Console;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntConsumer;
import sun.misc.Signal;

/** A command run by this process for the terminal it was started from. */
final class LocalInvocation implements Invocation {
  @Override
  public Map<String, String> environment() {
    return System.getenv();
  }

  @Override
  public Path workingDirectory() {
    return Path.of("").toAbsolutePath();
  }

  @Override
  public boolean interactive() {
    return System.console() != null;
  }

  @Override
  public Terminal terminal() {
    return Terminal.query();
  }

  @Override
  public InputStream standardInput() {
    return System.in;
  }

  @Override
  public Optional<char[]> readPassword(String prompt) {
    Console console = System.console();
    if (console == null) {
      return Optional.empty();
    }
    char[] password = console.readPassword("%s", prompt);
    return Optional.of(password == null ? new char[0] : password);
  }

  /** {@code sun.misc.Signal} (jdk.unsupported) because the exit code depends on which signal came. */
  @Override
  public void onInterrupt(IntConsumer stop) {
    Signal.handle(new Signal("INT"), s -> stop.accept(128 + s.getNumber()));
    Signal.handle(new Signal("TERM"), s -> stop.accept(128 + s.getNumber()));
  }

  @Override
  public void exit(int code) {
    Runtime.getRuntime().halt(code);
  }
}
