package io.rpull.cli;

/** The node agent will not run this command (another containerd, an HTTP log): the client runs it itself. */
public final class Declined extends RuntimeException {
  public Declined(String reason) {
    super(reason, null, false, false);
  }
}
