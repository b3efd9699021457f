package io.rpull.cli;

import io.rpull.containerd.BlobKind;
import io.rpull.engine.PullListener;
import io.rpull.engine.PullResult;
import io.rpull.snapshot.Unpacker;
import io.rpull.types.Descriptor;
import io.rpull.types.Digest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one image's pull is doing, blob by blob, for the progress displays: written by the engine's
 * threads through {@link PullListener}, read by a display on its own schedule.
 */
final class PullProgress implements PullListener {
  /** ctr's words for a blob's state, and rpull's for a layer being committed. */
  enum Status {
    WAITING("waiting"),
    DOWNLOADING("downloading"),
    COMMITTING("committing"),
    DONE("done"),
    EXISTS("exists");

    final String word;

    Status(String word) {
      this.word = word;
    }
  }

  /** One blob: ctr's key ({@code layer-sha256:...}), size, bytes so far, state, and its own times. */
  static final class Blob {
    final String key;
    final Digest digest;
    final long size;
    final AtomicLong received = new AtomicLong();
    final long queuedNanos = System.nanoTime();
    volatile long firstByteNanos;
    volatile long committedNanos;
    volatile boolean existed;
    volatile Status status = Status.WAITING;

    Blob(String key, Digest digest, long size) {
      this.key = key;
      this.digest = digest;
      this.size = size;
    }

    /** Its bytes are in containerd (the snapshot may still be committing). */
    boolean committed() {
      return committedNanos != 0;
    }

    /** Seconds from its first byte (or, if it needed none, from when it was queued) to its commit. */
    double seconds() {
      long start = firstByteNanos != 0 ? firstByteNanos : queuedNanos;
      return committed() ? (committedNanos - start) / 1e9 : 0;
    }

    /** Bytes done: all of it once committed. */
    long done() {
      return committed() ? size : Math.min(received.get(), size);
    }
  }

  /** A registry host given up on for the next one. */
  record SkippedHost(String what, String host, String reason, String next) {}

  private final String image;
  private final java.io.PrintWriter skipLog;
  private final List<SkippedHost> skipped = new ArrayList<>();
  private int skippedReported;
  private final Map<Digest, Blob> blobs = new LinkedHashMap<>();
  private final long started = System.nanoTime();
  private final AtomicLong fetched = new AtomicLong();
  private volatile PullResult result;

  PullProgress(String image) {
    this(image, null);
  }

  /** @param skipLog where a host given up on is written as it happens (--debug), or null */
  PullProgress(String image, java.io.PrintWriter skipLog) {
    this.image = image;
    this.skipLog = skipLog;
  }

  @Override
  public void hostSkipped(String what, String host, String reason, String next) {
    synchronized (this) {
      skipped.add(new SkippedHost(what, host, reason, next));
    }
    if (skipLog != null) {
      skipLog.println(io.rpull.fetch.FetchEvents.describeSkip(what, host, reason, next));
      skipLog.flush();
    }
  }

  /** Hosts given up on since the last call. */
  synchronized List<SkippedHost> newlySkipped() {
    List<SkippedHost> fresh = List.copyOf(skipped.subList(skippedReported, skipped.size()));
    skippedReported = skipped.size();
    return fresh;
  }

  String image() {
    return image;
  }

  @Override
  public synchronized void blobQueued(BlobKind kind, Descriptor blob) {
    blobs.putIfAbsent(blob.digest(), new Blob(kind.word() + "-" + blob.digest(), blob.digest(), blob.size()));
  }

  @Override
  public void bytesReceived(Digest digest, long bytes) {
    fetched.addAndGet(bytes);
    Blob b = blob(digest);
    if (b != null) {
      if (b.firstByteNanos == 0) {
        b.firstByteNanos = System.nanoTime();
      }
      b.received.addAndGet(bytes);
      if (b.status == Status.WAITING) {
        b.status = Status.DOWNLOADING;
      }
    }
  }

  @Override
  public void blobCommitted(Digest digest, boolean existed) {
    Blob b = blob(digest);
    if (b != null) {
      b.existed = existed;
      b.status = existed ? Status.EXISTS : Status.DONE;
      b.committedNanos = System.nanoTime();
    }
  }

  @Override
  public void layerCommitting(Descriptor layer) {
    Blob b = blob(layer.digest());
    if (b != null) {
      b.status = Status.COMMITTING;
    }
  }

  @Override
  public void layerDone(Descriptor layer, Unpacker.Outcome outcome) {
    Blob b = blob(layer.digest());
    if (b != null) {
      b.status = b.existed ? Status.EXISTS : Status.DONE;
    }
  }

  @Override
  public void finished(PullResult result) {
    this.result = result;
  }

  /** The result, once the pull has ended. */
  PullResult result() {
    return result;
  }

  synchronized Blob blob(Digest digest) {
    return blobs.get(digest);
  }

  synchronized List<Blob> blobs() {
    return new ArrayList<>(blobs.values());
  }

  long bytesFetched() {
    return fetched.get();
  }

  /** Bytes of every blob known so far, and of those, how many are done. */
  long[] totalAndDone() {
    long total = 0;
    long done = 0;
    for (Blob b : blobs()) {
      total += b.size;
      done += b.done();
    }
    return new long[] {total, done};
  }

  double elapsedSeconds() {
    return (System.nanoTime() - started) / 1e9;
  }
}
