package io.rpull.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.rpull.engine.PullResult;
import java.io.PrintWriter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Shows the {@link PullProgress} of the image being pulled: ctr's table redrawn in place on a
 * terminal, plain lines when stdout is a pipe or a log, JSON lines for machines, or nothing
 * (--debug, as ctr).
 */
abstract class ProgressDisplay implements AutoCloseable {
  enum Mode {
    TABLE,
    PLAIN,
    JSON,
    NONE
  }

  protected final PrintWriter out;
  private final ScheduledExecutorService ticker;
  protected volatile PullProgress current;
  protected final RateWindow rate = new RateWindow(3.0);
  private final Set<String> reported = new HashSet<>();

  private ProgressDisplay(PrintWriter out, long periodMillis) {
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

  static ProgressDisplay create(Mode mode, PrintWriter out, java.util.function.Supplier<Terminal> terminal) {
    return switch (mode) {
      case TABLE -> new Table(out, terminal.get());
      case PLAIN -> new Plain(out);
      case JSON -> new Json(out);
      case NONE -> new ProgressDisplay(out, 0) {
        @Override
        void tick(boolean last) {}
      };
    };
  }

  /** Renders {@code progress}; {@code last}: the image's pull has ended, this is its final update. */
  abstract void tick(boolean last);

  /** From now on, shows this image. */
  synchronized void show(PullProgress progress) {
    current = progress;
    rate.reset();
    reported.clear();
    started(progress);
  }

  /** The image's pull ended: its final update, before its result is printed. */
  synchronized void ended(PullProgress progress) {
    if (current == progress) {
      safeTick(true);
    }
  }

  protected void started(PullProgress progress) {}

  /** Blobs whose bytes are committed since the last call, each reported once. */
  protected List<PullProgress.Blob> newlyCommitted(PullProgress progress) {
    return progress.blobs().stream().filter(b -> b.committed() && reported.add(b.key)).toList();
  }

  private void safeTick() {
    safeTick(false);
  }

  private synchronized void safeTick(boolean last) {
    if (current == null) {
      return;
    }
    try {
      rate.sample(current.bytesFetched());
      tick(last);
      out.flush();
    } catch (RuntimeException e) {
      // A display must never break a pull.
    }
  }

  @Override
  public synchronized void close() {
    if (ticker != null) {
      ticker.shutdownNow();
    }
    out.flush();
  }

  static String human(double bytes) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024 && u < units.length - 1) {
      bytes /= 1024;
      u++;
    }
    return String.format("%.1f %s", bytes, units[u]);
  }

  static String seconds(double s) {
    if (s < 60) {
      return String.format("%.0f s", Math.ceil(s));
    }
    return String.format("%dm%02ds", (long) s / 60, (long) s % 60);
  }

  /** Bytes still to come over the current rate, or "?" while there is no rate. */
  static String eta(long remaining, double bytesPerSecond) {
    if (remaining <= 0) {
      return "0 s";
    }
    return bytesPerSecond < 1 ? "?" : seconds(remaining / bytesPerSecond);
  }

  /** ctr's key with the digest cut to 12 hex digits. */
  static String shortKey(PullProgress.Blob b) {
    int colon = b.key.indexOf(':');
    return colon > 0 && b.key.length() > colon + 13 ? b.key.substring(0, colon + 13) : b.key;
  }

  /** The download rate over the last few seconds, not the average since the start. */
  static final class RateWindow {
    private final long windowNanos;
    private final ArrayDeque<long[]> samples = new ArrayDeque<>();

    RateWindow(double seconds) {
      this.windowNanos = (long) (seconds * 1e9);
    }

    synchronized void reset() {
      samples.clear();
    }

    synchronized void sample(long bytes) {
      long now = System.nanoTime();
      samples.addLast(new long[] {now, bytes});
      while (samples.size() > 2 && now - samples.peekFirst()[0] > windowNanos) {
        samples.removeFirst();
      }
    }

    /** Bytes per second between the oldest and newest sample of the window. */
    synchronized double bytesPerSecond() {
      if (samples.size() < 2) {
        return 0;
      }
      long[] first = samples.peekFirst();
      long[] last = samples.peekLast();
      double seconds = (last[0] - first[0]) / 1e9;
      return seconds <= 0 ? 0 : (last[1] - first[1]) / seconds;
    }
  }

  /**
   * ctr's table, redrawn in place every 100 ms, fitted to the terminal: every line is cut to the
   * width (a wrapped line would break the redraw), and the rows to its height.
   */
  private static final class Table extends ProgressDisplay {
    private static final int MAX_BAR = 40;
    private final Terminal terminal;
    private int drawn;

    Table(PrintWriter out, Terminal terminal) {
      super(out, 100);
      this.terminal = terminal;
    }

    @Override
    protected void started(PullProgress progress) {
      drawn = 0;
    }

    @Override
    void tick(boolean last) {
      PullProgress p = current;
      int width = Math.max(20, terminal.columns()) - 1;
      List<PullProgress.Blob> shown = new ArrayList<>(p.blobs());
      int room = Math.max(1, terminal.rows() - 3);
      int hidden = 0;
      // Too many rows for the screen: finished blobs make room first, then the last rows go.
      for (int i = 0; shown.size() > room && i < shown.size(); ) {
        PullProgress.Blob b = shown.get(i);
        if (b.status == PullProgress.Status.DONE || b.status == PullProgress.Status.EXISTS) {
          shown.remove(i);
          hidden++;
        } else {
          i++;
        }
      }
      while (shown.size() > room) {
        shown.remove(shown.size() - 1);
        hidden++;
      }
      List<String> lines = new ArrayList<>();
      lines.add("pulling " + p.image());
      int keyWidth = shown.stream().mapToInt(b -> shortKey(b).length()).max().orElse(10) + 1;
      int sizesWidth = shown.stream().mapToInt(b -> sizes(b).length()).max().orElse(0);
      // One bar width for every row, so that the bars line up.
      int bar = Math.min(MAX_BAR, width - (keyWidth + 1 + 12) - sizesWidth - 3);
      for (PullProgress.Blob b : shown) {
        long got = b.done();
        String sizes = sizes(b);
        String head = String.format("%-" + keyWidth + "s %-11s ", shortKey(b) + ":", b.status.word);
        if (bar >= 5) {
          int filled = b.size == 0 ? bar : (int) (bar * got / b.size);
          lines.add(head + "|" + "+".repeat(filled) + " ".repeat(bar - filled) + "| " + sizes);
        } else {
          lines.add(head + sizes);
        }
      }
      if (hidden > 0) {
        lines.add("(" + hidden + " more)");
      }
      long[] totalAndDone = p.totalAndDone();
      double bytesPerSecond = rate.bytesPerSecond();
      lines.add(String.format("elapsed: %.1f s   total: %s/%s   %s/s   ETA %s", p.elapsedSeconds(),
          human(totalAndDone[1]), human(totalAndDone[0]), human(bytesPerSecond),
          eta(totalAndDone[0] - totalAndDone[1], bytesPerSecond)));
      StringBuilder frame = new StringBuilder();
      if (drawn > 0) {
        frame.append("\033[").append(drawn).append('A').append('\r');
      }
      for (String line : lines) {
        frame.append("\033[2K").append(line.length() > width ? line.substring(0, width) : line).append('\n');
      }
      frame.append("\033[J"); // rows the previous frame had and this one has not
      drawn = lines.size();
      out.print(frame);
    }
  }

  private static String sizes(PullProgress.Blob b) {
    return human(b.done()) + "/" + human(b.size);
  }

  /**
   * For logs and pipes: a line per blob when its bytes are committed (with its own time), a
   * progress line every 5 s while the image downloads, and a summary line when it is done.
   */
  private static final class Plain extends ProgressDisplay {
    private static final double PROGRESS_EVERY_SECONDS = 5;
    private double lastProgress;

    Plain(PrintWriter out) {
      super(out, 1000);
    }

    @Override
    protected void started(PullProgress progress) {
      lastProgress = 0;
    }

    @Override
    void tick(boolean last) {
      PullProgress p = current;
      for (PullProgress.Blob b : newlyCommitted(p)) {
        out.printf("%s: %s %s (%.1f s)%n", b.key, b.status == PullProgress.Status.EXISTS ? "exists" : "done",
            human(b.size), b.seconds());
      }
      if (last) {
        PullResult r = p.result();
        if (r != null && r.succeeded()) {
          double s = r.elapsed().toMillis() / 1000.0;
          out.printf("%s: %s fetched %s, reused %s in %.1f s (%s/s)%n", p.image(),
              r.digest().map(Object::toString).orElse(""), human(r.bytesFetched()), human(r.bytesReused()), s,
              human(s > 0 ? r.bytesFetched() / s : 0));
        }
        return;
      }
      double now = p.elapsedSeconds();
      if (now - lastProgress >= PROGRESS_EVERY_SECONDS) {
        lastProgress = now;
        long[] totalAndDone = p.totalAndDone();
        if (totalAndDone[0] > totalAndDone[1]) {
          double bytesPerSecond = rate.bytesPerSecond();
          out.printf("%s: %s of %s, %s/s, ETA %s%n", p.image(), human(totalAndDone[1]), human(totalAndDone[0]),
              human(bytesPerSecond), eta(totalAndDone[0] - totalAndDone[1], bytesPerSecond));
        }
      }
    }
  }

  /** JSON lines: a "blob" event per committed blob and a "progress" event every second. */
  private static final class Json extends ProgressDisplay {
    private final ObjectMapper json = new ObjectMapper();

    Json(PrintWriter out) {
      super(out, 1000);
    }

    @Override
    void tick(boolean last) {
      PullProgress p = current;
      for (PullProgress.SkippedHost skip : p.newlySkipped()) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("event", "fallback");
        e.put("image", p.image());
        e.put("what", skip.what());
        e.put("host", skip.host());
        e.put("reason", skip.reason());
        e.put("next", skip.next());
        line(e);
      }
      for (PullProgress.Blob b : newlyCommitted(p)) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("event", "blob");
        e.put("image", p.image());
        e.put("key", b.key);
        e.put("digest", b.digest.toString());
        e.put("size", b.size);
        e.put("status", b.existed ? "exists" : "done");
        e.put("duration_ms", (long) (b.seconds() * 1000));
        line(e);
      }
      if (last) {
        return;
      }
      long[] totalAndDone = p.totalAndDone();
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("event", "progress");
      e.put("image", p.image());
      e.put("elapsed_ms", (long) (p.elapsedSeconds() * 1000));
      e.put("bytes_fetched", p.bytesFetched());
      e.put("bytes_done", totalAndDone[1]);
      e.put("bytes_total", totalAndDone[0]);
      e.put("bytes_per_second", (long) rate.bytesPerSecond());
      line(e);
    }

    private void line(Map<String, Object> event) {
      try {
        out.println(json.writeValueAsString(event));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
