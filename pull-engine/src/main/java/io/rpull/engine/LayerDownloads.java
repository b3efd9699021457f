package io.rpull.engine;

import io.rpull.containerd.BlobKind;
import io.rpull.containerd.IngestResult;
import io.rpull.snapshot.Layer;
import io.rpull.types.Descriptor;
import io.rpull.types.Digest;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Layer blobs flowing from the registry into containerd, a bounded number at once, each digest
 * once. The unpacker waits on them one by one while later layers keep downloading.
 */
final class LayerDownloads implements AutoCloseable {
  /** One blob's way into containerd; the pull labels it in the same step. */
  @FunctionalInterface
  interface Ingest {
    IngestResult ingest(Descriptor blob) throws IOException;
  }

  private static final Duration STOP_WAIT = Duration.ofSeconds(30);

  private final Ingest ingest;
  private final PullListener listener;
  private final ExecutorService workers;
  private final Map<Digest, CompletableFuture<IngestResult>> started = new ConcurrentHashMap<>();
  private final Map<Digest, Descriptor> blobs = new ConcurrentHashMap<>();

  LayerDownloads(Ingest ingest, int blobsAtOnce, PullListener listener) {
    this.ingest = ingest;
    this.listener = listener;
    this.workers = Executors.newFixedThreadPool(blobsAtOnce, r -> {
      Thread t = new Thread(r, "rpull-blob");
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts (once) the download of {@code layer}'s blob into containerd. */
  CompletableFuture<IngestResult> start(Layer layer) {
    Descriptor blob = layer.blob();
    return started.computeIfAbsent(blob.digest(), d -> {
      blobs.put(d, blob);
      listener.blobQueued(BlobKind.LAYER, blob);
      return CompletableFuture.supplyAsync(() -> {
        try {
          IngestResult result = ingest.ingest(blob);
          listener.blobCommitted(blob.digest(), result.alreadyPresent());
          return result;
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }, workers);
    });
  }

  /** Starts if needed, then waits until the blob is committed. */
  IngestResult await(Layer layer) throws IOException {
    return join(start(layer));
  }

  /** Waits for every download started so far; the results by blob. */
  Map<Descriptor, IngestResult> awaitAll() throws IOException {
    Map<Descriptor, IngestResult> results = new LinkedHashMap<>();
    for (Map.Entry<Digest, CompletableFuture<IngestResult>> e : started.entrySet()) {
      results.put(blobs.get(e.getKey()), join(e.getValue()));
    }
    return results;
  }

  private static IngestResult join(CompletableFuture<IngestResult> future) throws IOException {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for a layer download");
    } catch (CancellationException e) {
      throw new InterruptedIOException("layer download cancelled");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
      if (cause instanceof UncheckedIOException u) {
        throw u.getCause();
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException(cause);
    }
  }

  /**
   * Stops every download and waits for the workers to leave, so that a pull that has returned is
   * not still writing into containerd behind its caller's back. The wait is bounded by the stall
   * timeout's order of magnitude: a worker stuck past it is a daemon thread and dies with the JVM.
   */
  @Override
  public void close() {
    started.values().forEach(f -> f.cancel(true));
    workers.shutdownNow();
    try {
      workers.awaitTermination(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
