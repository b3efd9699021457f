package io.rpull.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Shows {@link PullProgress}: ctr's redrawn table on a terminal, one plain line per finished blob
 * when stdout is a pipe or a log, JSON lines for machines, or nothing (--debug, as ctr).
 */
abstract class ProgressDisplay implements AutoCloseable {
  enum Mode {
    TABLE,
    PLAIN,
    JSON,
    NONE
  }

  protected final PullProgress progress;
  protected final PrintWriter out;
  private final ScheduledExecutorService ticker;
  private final Set<String> reported = new HashSet<>();

  private ProgressDisplay(PullProgress progress, PrintWriter out, long periodMillis) {
    this.progress = progress;
    this.out = out;
    this.ticker = periodMillis <= 0 ? null : Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "rpull-progress");
      t.setDaemon(true);
      return t;
    });
    if (ticker != null) {
      ticker.scheduleAtFixedRate(this::safeTick, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    }
  }

  static ProgressDisplay create(Mode mode, PullProgress progress, PrintWriter out) {
    return switch (mode) {
      case TABLE -> new Table(progress, out);
      case PLAIN -> new Plain(progress, out);
      case JSON -> new Json(progress, out);
      case NONE -> new ProgressDisplay(progress, out, 0) {
        @Override
        void tick() {}
      };
    };
  }

  abstract void tick();

  /** Blobs that finished since the last call, each reported once. */
  protected List<PullProgress.Blob> newlyFinished() {
    return progress.blobs().stream().filter(b -> b.finished() && reported.add(b.key)).toList();
  }

  /** Brings the display up to date now (before a result is printed under it). */
  synchronized void flush() {
    safeTick();
  }

  private synchronized void safeTick() {
    try {
      tick();
    } catch (RuntimeException e) {
      // A display must never break a pull.
    }
  }

  @Override
  public synchronized void close() {
    if (ticker != null) {
      ticker.shutdownNow();
    }
    closing = true;
    tick();
    out.flush();
  }

  /** Set for the last update, after which only results follow. */
  protected boolean closing;

  static String human(double bytes) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024 && u < units.length - 1) {
      bytes /= 1024;
      u++;
    }
    return String.format("%.1f %s", bytes, units[u]);
  }

  /** ctr's table, redrawn in place every 100 ms. */
  private static final class Table extends ProgressDisplay {
    private static final int BAR = 40;
    private int drawn;

    Table(PullProgress progress, PrintWriter out) {
      super(progress, out, 100);
    }

    @Override
    void tick() {
      List<PullProgress.Blob> blobs = progress.blobs();
      StringBuilder frame = new StringBuilder();
      if (drawn > 0) {
        frame.append("\033[").append(drawn).append('A');
      }
      int width = blobs.stream().mapToInt(b -> shortKey(b).length()).max().orElse(10) + 1;
      for (PullProgress.Blob b : blobs) {
        long got = b.finished() ? b.size : Math.min(b.received.get(), b.size);
        int filled = b.size == 0 ? BAR : (int) (BAR * got / b.size);
        frame.append(String.format("\033[2K%-" + width + "s %-12s |%s%s| %s/%s%n", shortKey(b) + ":", b.status.word,
            "+".repeat(filled), " ".repeat(BAR - filled), human(got), human(b.size)));
      }
      double elapsed = progress.elapsedSeconds();
      frame.append(String.format("\033[2Kelapsed: %.1f s    total: %s    (%s/s)%n", elapsed,
          human(progress.bytesFetched()), human(progress.bytesFetched() / Math.max(elapsed, 0.001))));
      drawn = blobs.size() + 1;
      out.print(frame);
      out.flush();
    }
  }

  /** ctr's key with the digest cut to 12 hex digits, so that a line fits a 100-column terminal. */
  static String shortKey(PullProgress.Blob b) {
    int colon = b.key.indexOf(':');
    return colon > 0 && b.key.length() > colon + 13 ? b.key.substring(0, colon + 13) : b.key;
  }

  /** One line per blob when it is finished, for logs and pipes. */
  private static final class Plain extends ProgressDisplay {
    Plain(PullProgress progress, PrintWriter out) {
      super(progress, out, 1000);
    }

    @Override
    void tick() {
      for (PullProgress.Blob b : newlyFinished()) {
        out.printf("%s: %s %s (%.1f s)%n", b.key, b.status.word, human(b.size), progress.elapsedSeconds());
      }
      out.flush();
    }
  }

  /** JSON lines: a "blob" event per finished blob and a "progress" event every second. */
  private static final class Json extends ProgressDisplay {
    private final ObjectMapper json = new ObjectMapper();

    Json(PullProgress progress, PrintWriter out) {
      super(progress, out, 1000);
    }

    @Override
    void tick() {
      for (PullProgress.Blob b : newlyFinished()) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("event", "blob");
        e.put("key", b.key);
        e.put("digest", b.digest);
        e.put("size", b.size);
        e.put("status", b.status.word);
        line(e);
      }
      if (closing) {
        return;
      }
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("event", "progress");
      p.put("elapsed_ms", (long) (progress.elapsedSeconds() * 1000));
      p.put("bytes_fetched", progress.bytesFetched());
      line(p);
    }

    void line(Map<String, Object> event) {
      try {
        out.println(json.writeValueAsString(event));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
      out.flush();
    }
  }
}
