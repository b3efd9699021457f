package io.rpull.cli;

import io.rpull.engine.PullError;
import io.rpull.types.Failure;
import java.io.PrintWriter;
import java.util.List;

/**
 * SIGINT and SIGTERM: one line that says what is kept and that a rerun resumes, an "interrupted"
 * result for every image without one (JSON), and the shell's exit code for the signal (130, 143).
 * Nothing is undone: what was written is under the pull's expiring lease and no image record
 * points at an incomplete image.
 */
final class Interrupts {
  static final String MESSAGE = "interrupted: what was fetched stays in containerd under a lease that expires"
      + " in 24h; run the same command again to resume";

  private Interrupts() {}

  static void install(Invocation invocation, Outcomes outcomes, List<String> images, PrintWriter err, boolean json) {
    invocation.onInterrupt(code -> {
      if (json) {
        outcomes.interrupted(code);
        outcomes.failedRemaining(images, new PullError(Failure.INTERRUPTED, MESSAGE, null));
      }
      err.println("ctr: " + MESSAGE);
      err.flush();
      invocation.exit(code);
    });
  }
}
