package io.rpull.fetch;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import okhttp3.Response;

/**
 * The reassembly window: chunks download in parallel, the reader takes them in order. At most
 * {@code window} chunks are in flight or buffered, plus the one being read.
 */
final class OrderedChunkStream extends InputStream {
  private final ChunkedBlobFetcher fetcher;
  private final BlobRoute route;
  private final BlobLocation blob;
  private final int window;
  private final ExecutorService pool;
  private final ArrayDeque<Future<byte[]>> pending = new ArrayDeque<>();
  private long nextStart;
  private byte[] current = new byte[0];
  private int position;
  private boolean closed;

  OrderedChunkStream(ChunkedBlobFetcher fetcher, BlobRoute route, long offset, long firstEnd,
      Response firstResponse, int window, ExecutorService pool) {
    this.fetcher = fetcher;
    this.route = route;
    this.blob = route.blob;
    this.window = window;
    this.pool = pool;
    pending.add(pool.submit(() -> fetcher.downloadChunk(route, offset, firstEnd, firstResponse)));
    this.nextStart = firstEnd;
    fill();
  }

  private void fill() {
    int chunk = fetcher.options().chunkSize();
    while (pending.size() < window && nextStart < blob.size()) {
      long start = nextStart;
      long end = Math.min(blob.size(), start + chunk);
      pending.add(pool.submit(() -> fetcher.downloadChunk(route, start, end, null)));
      nextStart = end;
    }
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (closed) {
      throw new IOException("stream closed");
    }
    if (len == 0) {
      return 0;
    }
    if (position == current.length && !advance()) {
      return -1;
    }
    int n = Math.min(len, current.length - position);
    System.arraycopy(current, position, b, off, n);
    position += n;
    return n;
  }

  /** Hands out the next whole chunk without copying; null at the end. Used by bulk consumers. */
  byte[] nextChunk() throws IOException {
    if (position < current.length) {
      byte[] rest = position == 0 ? current : java.util.Arrays.copyOfRange(current, position, current.length);
      position = current.length;
      return rest;
    }
    if (!advance()) {
      return null;
    }
    position = current.length;
    return current;
  }

  private boolean advance() throws IOException {
    Future<byte[]> head = pending.poll();
    if (head == null) {
      return false;
    }
    try {
      current = head.get();
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
      pending.forEach(f -> f.cancel(true));
      pending.clear();
    }
  }
}
