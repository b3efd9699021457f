package io.rpull.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.rpull.engine.PullError;
import io.rpull.engine.PullResult;
import io.rpull.types.Failure;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The result of each image of a run, reported as ctr does ("done", or one {@code ctr:} line per
 * failure) or as JSON lines, with a summary table for batches; the exit code is the worst failure's.
 */
final class Outcomes {
  private final PrintWriter out;
  private final PrintWriter err;
  private final boolean json;
  private final boolean debug;
  private final ObjectMapper mapper = new ObjectMapper();
  private final List<PullResult> results = new ArrayList<>();
  private boolean finished;
  /** The exit code of the signal that stopped the run, if one did (130 SIGINT, 143 SIGTERM). */
  private int signalExitCode = ExitCode.INTERRUPTED.code;

  Outcomes(PrintWriter out, PrintWriter err, boolean json, boolean debug) {
    this.out = out;
    this.err = err;
    this.json = json;
    this.debug = debug;
  }

  synchronized void add(PullResult result) {
    results.add(result);
    if (json) {
      print(event(result));
    }
    if (debug) {
      result.error().map(PullError::cause).filter(c -> c != null).ifPresent(c -> c.printStackTrace(err));
    }
  }

  /** A failure of {@code image} before any pull started (a malformed reference, containerd unreachable). */
  synchronized void failed(String image, PullError error) {
    add(new PullResult(image, Optional.empty(), Optional.empty(), 0, 0, 0, 0, 0, Duration.ZERO, Optional.of(error)));
  }

  /** Records {@code error} for every image from {@code images} that has no result yet. */
  synchronized void failedRemaining(List<String> images, PullError error) {
    for (int i = results.size(); i < images.size(); i++) {
      failed(images.get(i), error);
    }
  }

  synchronized void interrupted(int exitCode) {
    signalExitCode = exitCode;
  }

  /** Prints what is left to print and returns the exit code. Only the first call prints. */
  synchronized int finish() {
    if (!finished) {
      finished = true;
      if (!json) {
        if (results.size() > 1) {
          out.printf("%-60s %-12s %9s %12s%n", "IMAGE", "STATUS", "TIME", "FETCHED");
          for (PullResult r : results) {
            out.printf("%-60s %-12s %8.1fs %12s%n", r.image(), code(r) == ExitCode.OK ? "ok" : code(r).jsonName(),
                r.elapsed().toMillis() / 1000.0, ProgressDisplay.human(r.bytesFetched()));
          }
        }
        results.stream().flatMap(r -> r.error().stream()).map(PullError::message).distinct()
            .forEach(m -> err.println("ctr: " + m));
        if (worst().isEmpty()) {
          out.println("done");
        }
      }
      out.flush();
      err.flush();
    }
    return worst().map(ExitCode::of).orElse(ExitCode.OK).code;
  }

  private Optional<Failure> worst() {
    return results.stream().flatMap(r -> r.error().stream()).map(PullError::failure).reduce(Failure::worse);
  }

  private static ExitCode code(PullResult r) {
    return r.error().map(e -> ExitCode.of(e.failure())).orElse(ExitCode.OK);
  }

  private Map<String, Object> event(PullResult r) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("event", "result");
    e.put("image", r.image());
    e.put("status", r.succeeded() ? "ok" : "failed");
    e.put("duration_ms", r.elapsed().toMillis());
    r.digest().ifPresent(d -> e.put("digest", d.toString()));
    if (r.succeeded()) {
      e.put("bytes_fetched", r.bytesFetched());
      e.put("bytes_present", r.bytesReused());
      e.put("layers_placed", r.layersPlaced());
      e.put("layers_applied", r.layersApplied());
      e.put("layers_existing", r.layersExisting());
    } else {
      PullError error = r.error().orElseThrow();
      ExitCode code = ExitCode.of(error.failure());
      e.put("failure", code.jsonName());
      e.put("exit_code", code == ExitCode.INTERRUPTED ? signalExitCode : code.code);
      e.put("message", error.message());
    }
    return e;
  }

  private void print(Map<String, Object> event) {
    try {
      out.println(mapper.writeValueAsString(event));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    out.flush();
  }
}
