package io.rpull.cli;

import io.rpull.containerd.BlobIngester;
import io.rpull.containerd.BlobRef;
import io.rpull.containerd.IngestResult;
import io.rpull.fetch.BlobFetcher;
import io.rpull.fetch.BlobLocation;
import io.rpull.fetch.Digest;
import io.rpull.fetch.RegistryHost;
import java.util.List;
import io.rpull.snapshot.Layer;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Layer blobs flowing from the registry into containerd, a bounded number at once, each digest
 * once. The unpacker waits on them one by one while later layers keep downloading.
 */
final class LayerDownloads implements AutoCloseable {
  private final BlobFetcher fetcher;
  private final BlobIngester ingester;
  private final List<RegistryHost> hosts;
  private final String repository;
  private final ExecutorService workers;
  private final Map<BlobRef, CompletableFuture<IngestResult>> started = new java.util.concurrent.ConcurrentHashMap<>();

  private final PullProgress progress;

  LayerDownloads(BlobFetcher fetcher, BlobIngester ingester, List<RegistryHost> hosts, String repository,
      int blobsAtOnce, PullProgress progress) {
    this.progress = progress;
    this.fetcher = fetcher;
    this.ingester = ingester;
    this.hosts = hosts;
    this.repository = repository;
    this.workers = Executors.newFixedThreadPool(blobsAtOnce, r -> {
      Thread t = new Thread(r, "rpull-blob");
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts (once) the download of {@code layer}'s blob into containerd. */
  CompletableFuture<IngestResult> start(Layer layer) {
    progress.queued("layer", layer.blob().digest(), layer.blob().size());
    BlobRef blob = layer.blob();
    return started.computeIfAbsent(blob, b -> CompletableFuture.supplyAsync(() -> {
      BlobLocation location = new BlobLocation(hosts, repository, Digest.parse(blob.digest()), blob.size());
      try {
        IngestResult result = ingester.ingest(blob, offset -> fetcher.open(location, offset));
        progress.finished(blob.digest(), result.alreadyPresent());
        return result;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, workers));
  }

  /** Starts if needed, then waits until the blob is committed. */
  IngestResult await(Layer layer) throws IOException {
    return join(start(layer));
  }

  /** Waits for every download started so far; the results by blob. */
  Map<BlobRef, IngestResult> awaitAll() throws IOException {
    Map<BlobRef, IngestResult> results = new java.util.LinkedHashMap<>();
    for (Map.Entry<BlobRef, CompletableFuture<IngestResult>> e : started.entrySet()) {
      results.put(e.getKey(), join(e.getValue()));
    }
    return results;
  }

  static IngestResult join(CompletableFuture<IngestResult> future) throws IOException {
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

  @Override
  public void close() {
    started.values().forEach(f -> f.cancel(true));
    workers.shutdownNow();
  }
}
