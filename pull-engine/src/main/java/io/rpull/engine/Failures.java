package io.rpull.engine;

import io.rpull.types.Failure;
import io.rpull.types.RpullException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Turns whatever ended a pull into its failure class and one printable line. */
public final class Failures {
  private Failures() {}

  public static PullError classify(Throwable thrown) {
    Throwable t = unwrap(thrown);
    if (Thread.currentThread().isInterrupted()) {
      // Whatever the interrupted call threw (a cancelled gRPC call, a closed socket), the cause is the interrupt.
      return new PullError(Failure.INTERRUPTED, "interrupted: " + oneLine(String.valueOf(t.getMessage())), thrown);
    }
    if (t instanceof RpullException r) {
      return new PullError(r.failure(), oneLine(r.getMessage()), thrown);
    }
    if (t instanceof InterruptedException || t instanceof CancellationException
        || (t instanceof InterruptedIOException && !(t instanceof java.net.SocketTimeoutException))) {
      return new PullError(Failure.INTERRUPTED, "interrupted: " + oneLine(String.valueOf(t.getMessage())), thrown);
    }
    if (t instanceof IOException) {
      return new PullError(Failure.NETWORK, oneLine(t.getMessage() == null ? "I/O failure" : t.getMessage()), thrown);
    }
    String message = t.getMessage();
    return new PullError(Failure.OTHER, message == null
        ? "unexpected internal failure (run with --debug for details)" : oneLine(message), thrown);
  }

  private static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof UncheckedIOException || c instanceof CompletionException
        || c instanceof ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }

  /** One printable line: registry and daemon text must not move the cursor or forge log lines. */
  static String oneLine(String text) {
    return text.replaceAll("\\p{Cntrl}", " ").strip();
  }
}
