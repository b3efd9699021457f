package io.rpull.agent;

import io.rpull.engine.PullObserver;
import io.rpull.engine.PullRequest;
import io.rpull.engine.PullResult;
import java.io.PrintStream;
import java.time.Instant;
import java.util.Locale;

/**
 * One line per pull, logfmt, for journald: image, digest, bytes, seconds, result and failure
 * class. The request's credentials are never part of it.
 */
final class PullLog implements PullObserver {
  private final PrintStream out;

  PullLog(PrintStream out) {
    this.out = out;
  }

  @Override
  public void finished(PullRequest request, PullResult result) {
    StringBuilder line = new StringBuilder()
        .append("time=").append(Instant.now())
        .append(" msg=pull")
        .append(" image=").append(quote(request.name()))
        .append(" namespace=").append(request.namespace())
        .append(" digest=").append(result.digest().map(Object::toString).orElse("-"))
        .append(" bytes_fetched=").append(result.bytesFetched())
        .append(" bytes_reused=").append(result.bytesReused())
        .append(" seconds=").append(String.format(Locale.ROOT, "%.3f", result.elapsed().toNanos() / 1e9))
        .append(" result=").append(result.succeeded() ? "success" : "failure");
    result.error().ifPresent(e -> line.append(" class=").append(PullMetrics.className(e.failure()))
        .append(" error=").append(quote(e.message())));
    out.println(line);
  }

  private static String quote(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ") + '"';
  }
}
