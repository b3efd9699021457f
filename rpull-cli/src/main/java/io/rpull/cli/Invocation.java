package io.rpull.cli;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntConsumer;

/**
 * Where a command was typed: this process's own environment and terminal, or, when the node agent
 * runs the command for a thin client, the client's, relayed over the agent socket. Everything the
 * command learns of its caller comes through here, so that both print the same.
 */
public interface Invocation {
  /** The caller's environment variables (CONTAINERD_ADDRESS, DOCKER_CONFIG, ...). */
  Map<String, String> environment();

  /** Relative paths in flags are the caller's. */
  Path workingDirectory();

  /** Standard output is a terminal someone watches: ctr's progress table, password prompts. */
  boolean interactive();

  /** The size of that terminal. */
  Terminal terminal();

  InputStream standardInput();

  /** Asks on the caller's terminal; empty when there is none. */
  Optional<char[]> readPassword(String prompt);

  /** Calls {@code stop} with the shell's exit code (130 for SIGINT, 143 for SIGTERM) when the caller is interrupted. */
  void onInterrupt(IntConsumer stop);

  /** Ends the command at once with {@code code}; what was printed has been flushed. */
  void exit(int code);

  /** A path flag as the caller meant it. */
  default Path resolve(Path path) {
    return workingDirectory().resolve(path);
  }
}
