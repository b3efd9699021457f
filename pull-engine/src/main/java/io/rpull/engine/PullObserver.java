package io.rpull.engine;

/**
 * Sees every pull of a process start and end, whichever front-end asked for it: a node agent's
 * metrics and its one log line per pull. Must be thread-safe and quick, and must not throw.
 */
public interface PullObserver {
  default void started(PullRequest request) {}

  default void finished(PullRequest request, PullResult result) {}

  PullObserver NONE = new PullObserver() {};
}
