package io.rpull.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The result of each image of a run, reported as ctr does ("done") or as JSON lines, with a summary
 * table for batches; the exit code is that of the first failure.
 */
final class Outcomes {
  private record Row(String image, String digest, ExitCode code, String message, long nanos, long fetched,
      long present) {}

  private final PrintWriter out;
  private final boolean json;
  private final ObjectMapper mapper = new ObjectMapper();
  private final List<Row> rows = new ArrayList<>();
  private Runnable beforeResult = () -> {};

  /** Called before each result line, so that progress lines for the image come first. */
  void beforeEachResult(Runnable flush) {
    this.beforeResult = flush;
  }

  Outcomes(PrintWriter out, boolean json) {
    this.out = out;
    this.json = json;
  }

  synchronized void succeeded(PullResult result, long nanos) {
    rows.add(new Row(result.image(), result.digest(), ExitCode.OK, "", nanos, result.bytesWritten(),
        result.bytesPresent()));
    if (json) {
      Map<String, Object> e = base("ok", result.image(), nanos);
      e.put("digest", result.digest());
      e.put("bytes_fetched", result.bytesWritten());
      e.put("bytes_present", result.bytesPresent());
      e.put("layers_placed", result.layersPlaced());
      e.put("layers_applied", result.layersApplied());
      e.put("layers_existing", result.layersExisting());
      print(e);
    }
  }

  synchronized void failed(String image, Throwable error, long nanos) {
    ExitCode code = ExitCode.of(error);
    rows.add(new Row(image, "", code, Main.messageOf(error), nanos, 0, 0));
    if (json) {
      Map<String, Object> e = base("failed", image, nanos);
      e.put("failure", code.name().toLowerCase(Locale.ROOT));
      e.put("exit_code", code.code);
      e.put("message", Main.messageOf(error));
      print(e);
    }
  }

  /** Records {@code error} for every image that has no outcome yet. */
  synchronized void failedRemaining(List<String> images, Throwable error) {
    for (String image : images) {
      if (rows.stream().noneMatch(r -> r.image.equals(image))) {
        failed(image, error, 0);
      }
    }
  }

  /** Prints what is left to print and returns the exit code. */
  synchronized int finish(PrintWriter err) {
    boolean allOk = rows.stream().allMatch(r -> r.code == ExitCode.OK);
    if (!json) {
      if (rows.size() > 1) {
        out.printf("%-60s %-8s %9s %12s%n", "IMAGE", "STATUS", "TIME", "FETCHED");
        for (Row r : rows) {
          out.printf("%-60s %-8s %8.1fs %12s%n", r.image, r.code == ExitCode.OK ? "ok" : "failed", r.nanos / 1e9,
              ProgressDisplay.human(r.fetched));
        }
      }
      rows.stream().filter(r -> r.code != ExitCode.OK).map(r -> r.message).distinct()
          .forEach(m -> err.println("ctr: " + m));
      if (allOk) {
        out.println("done");
      }
    }
    out.flush();
    err.flush();
    return rows.stream().map(Row::code).filter(c -> c != ExitCode.OK).findFirst().orElse(ExitCode.OK).code;
  }

  private static Map<String, Object> base(String status, String image, long nanos) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("event", "result");
    e.put("image", image);
    e.put("status", status);
    e.put("duration_ms", nanos / 1_000_000);
    return e;
  }

  private void print(Map<String, Object> event) {
    beforeResult.run();
    try {
      out.println(mapper.writeValueAsString(event));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    out.flush();
  }
}
