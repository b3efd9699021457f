package io.rpull.fetch;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The reassembly window: chunks download in parallel, the reader takes them in order. At most
 * {@code window} chunks are in flight or buffered, plus the one being read.
 */
final class OrderedChunkStream extends BlockInputStream {
  private final ChunkedBlobFetcher fetcher;
  private final BlobRoute route;
  private final BlobLocation blob;
  private final int window;
  private final ExecutorService pool;
  private final ArrayDeque<Chunk> pending = new ArrayDeque<>();
  private long nextStart;
  private static final ChunkedBlobFetcher.Filled EMPTY = new ChunkedBlobFetcher.Filled(new byte[0], 0);
  private ChunkedBlobFetcher.Filled current = EMPTY;
  private int position;
  private boolean closed;

  OrderedChunkStream(ChunkedBlobFetcher fetcher, BlobRoute route, long offset, long firstEnd,
      InputStream firstBody, int window, ExecutorService pool) {
    this.fetcher = fetcher;
    this.route = route;
    this.blob = route.blob;
    this.window = window;
    this.pool = pool;
    pending.add(new Chunk(offset, firstEnd, pool.submit(() -> fetcher.downloadChunk(route, offset, firstEnd,
        firstBody))));
    this.nextStart = firstEnd;
    fill();
  }

  private void fill() {
    int chunk = fetcher.options().chunkSize();
    while (pending.size() < window && nextStart < blob.size()) {
      long start = nextStart;
      long end = Math.min(blob.size(), start + chunk);
      pending.add(new Chunk(start, end, pool.submit(() -> fetcher.downloadChunk(route, start, end, null))));
      nextStart = end;
    }
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (closed) {
      throw new IOException("stream closed");
    }
    if (len == 0) {
      return 0;
    }
    if (position == current.length() && !advance()) {
      return -1;
    }
    int n = Math.min(len, current.length() - position);
    System.arraycopy(current.array(), position, b, off, n);
    position += n;
    return n;
  }

  /**
   * Hands each chunk to {@code out} whole, from its own buffer: the writer of the content store
   * sends it on without copying it into a message buffer first.
   */
  @Override
  public long transferTo(OutputStream out) throws IOException {
    if (closed) {
      throw new IOException("stream closed");
    }
    long moved = 0;
    while (position < current.length() || advance()) {
      int n = current.length() - position;
      out.write(current.array(), position, n);
      position += n;
      moved += n;
    }
    return moved;
  }

  /** One chunk's download, and its hedge when it turned out to be the straggler. */
  private static final class Chunk {
    final long start;
    final long end;
    Future<ChunkedBlobFetcher.Filled> download;
    Future<ChunkedBlobFetcher.Filled> hedge;
    boolean hedged;

    Chunk(long start, long end, Future<ChunkedBlobFetcher.Filled> download) {
      this.start = start;
      this.end = end;
      this.download = download;
    }

    /** The copy that finished first, or null while both run. */
    Future<ChunkedBlobFetcher.Filled> finished() {
      if (download.isDone()) {
        return download;
      }
      return hedge != null && hedge.isDone() ? hedge : null;
    }

    void cancel() {
      download.cancel(true);
      if (hedge != null) {
        hedge.cancel(true);
      }
    }
  }

  /**
   * Waits for the head chunk. If it is still running after {@code hedgeAfter} while every later
   * chunk in the window has arrived, one slow connection is holding the blob back: the same
   * bytes are requested once more on another connection and whichever copy arrives first is used.
   */
  private ChunkedBlobFetcher.Filled awaitHead(Chunk head) throws InterruptedException, ExecutionException {
    if (!fetcher.options().hedges()) {
      return head.download.get();
    }
    long hedgeMillis = fetcher.options().hedgeAfter().toMillis();
    while (true) {
      Future<ChunkedBlobFetcher.Filled> winner = head.finished();
      if (winner != null) {
        try {
          ChunkedBlobFetcher.Filled bytes = winner.get();
          head.cancel();
          return bytes;
        } catch (ExecutionException e) {
          Future<ChunkedBlobFetcher.Filled> other = winner == head.download ? head.hedge : head.download;
          if (other == null) {
            throw e;
          }
          head.download = other;
          head.hedge = null;
          continue;
        }
      }
      try {
        // Unhedged: wait for the original up to the hedge delay; hedged: poll both copies.
        head.download.get(head.hedge == null ? hedgeMillis : 20, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        if (!head.hedged && laterChunksDone()) {
          head.hedged = true;
          head.hedge = pool.submit(() -> fetcher.downloadChunk(route, head.start, head.end, null));
        }
      } catch (ExecutionException e) {
        if (head.hedge == null) {
          throw e;
        }
      }
    }
  }

  private boolean laterChunksDone() {
    return !pending.isEmpty() && pending.stream().allMatch(c -> c.download.isDone());
  }

  private boolean advance() throws IOException {
    Chunk head = pending.poll();
    if (head == null) {
      return false;
    }
    try {
      fetcher.buffers().give(current.array());
      current = EMPTY;
      current = awaitHead(head);
      position = 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while fetching " + blob.digest());
    } catch (CancellationException e) {
      throw new InterruptedIOException("fetch of " + blob.digest() + " was cancelled");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RegistryException r) {
        throw r;
      }
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException("fetch " + blob.digest() + ": " + cause, cause);
    }
    fill();
    return true;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      pending.forEach(Chunk::cancel);
      pending.clear();
      fetcher.buffers().give(current.array());
      current = EMPTY;
    }
  }
}
