package io.rpull.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the pulls of one run are doing, blob by blob, for the progress displays. Written by the
 * pull and the downloader's byte counter, read by a display on its own schedule.
 */
final class PullProgress {
  /** ctr's words for a blob's state. */
  enum Status {
    WAITING("waiting"),
    DOWNLOADING("downloading"),
    DONE("done"),
    EXISTS("exists");

    final String word;

    Status(String word) {
      this.word = word;
    }
  }

  /** One blob: ctr's key ({@code layer-sha256:...}), size, bytes so far, state. */
  static final class Blob {
    final String key;
    final String digest;
    final long size;
    final AtomicLong received = new AtomicLong();
    volatile Status status = Status.WAITING;

    Blob(String key, String digest, long size) {
      this.key = key;
      this.digest = digest;
      this.size = size;
    }

    boolean finished() {
      Status s = status;
      return s == Status.DONE || s == Status.EXISTS;
    }
  }

  private final Map<String, Blob> byDigest = new LinkedHashMap<>();
  private final long started = System.nanoTime();
  private final AtomicLong fetched = new AtomicLong();

  synchronized void queued(String kind, String digest, long size) {
    byDigest.putIfAbsent(digest, new Blob(kind + "-" + digest, digest, size));
  }

  void received(String digest, long bytes) {
    fetched.addAndGet(bytes);
    Blob b = blob(digest);
    if (b != null) {
      b.received.addAndGet(bytes);
      if (b.status == Status.WAITING) {
        b.status = Status.DOWNLOADING;
      }
    }
  }

  void finished(String digest, boolean alreadyPresent) {
    Blob b = blob(digest);
    if (b != null) {
      b.status = alreadyPresent ? Status.EXISTS : Status.DONE;
    }
  }

  synchronized Blob blob(String digest) {
    return byDigest.get(digest);
  }

  synchronized List<Blob> blobs() {
    return new ArrayList<>(byDigest.values());
  }

  long bytesFetched() {
    return fetched.get();
  }

  double elapsedSeconds() {
    return (System.nanoTime() - started) / 1e9;
  }
}
