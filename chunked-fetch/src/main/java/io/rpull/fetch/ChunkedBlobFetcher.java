package io.rpull.fetch;

import io.rpull.types.Failure;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Downloads blobs as parallel HTTP range requests and hands the bytes on strictly in order.
 *
 * <p>One blob has at most {@link FetchOptions#chunksPerBlob()} chunks downloading or waiting at a
 * time; all blobs together share {@link FetchOptions#maxConnections()} connections. A chunk that
 * fails is retried from the byte where it stopped. A registry that ignores {@code Range} (answers
 * 200) is read as one stream from that same answer, without a second download.
 */
public final class ChunkedBlobFetcher implements AutoCloseable {
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

  /** Reads are capped at this size when a bandwidth limit is set, so that the limit is smooth. */
  static final int LIMITED_READ = 64 * 1024;
  private static final long REPORT_STEP = 1 << 20;

  private final FetchOptions options;
  private final ExecutorService connections;
  private final Throttle bandwidth;
  private final BufferPool buffers;

  /** Shared by every pull of a process: connections, the bandwidth limit and buffers are node-wide. */
  public ChunkedBlobFetcher(FetchOptions options) {
    this(options, Throttle.of(options.maxBytesPerSecond()));
  }

  /** @param bandwidth the limiter every received byte passes, or null for none */
  ChunkedBlobFetcher(FetchOptions options, Throttle bandwidth) {
    this.options = Objects.requireNonNull(options, "options");
    this.connections = Executors.newFixedThreadPool(options.maxConnections(), daemonThreads("rpull-chunk-"));
    this.bandwidth = bandwidth;
    this.buffers = new BufferPool(options.chunkSize(), options.maxConnections() + 2 * options.chunksPerBlob());
  }

  /**
   * Opens {@code blob} at byte {@code offset} through {@code transport} (one pull's registry access
   * and credentials): the stream yields exactly {@code size - offset} bytes in order, or throws.
   * Closing it early cancels what is in flight. Every byte received is told to {@code counter}.
   */
  public InputStream open(RegistryTransport transport, BlobLocation blob, long offset, FetchEvents counter) {
    if (offset < 0 || offset > blob.size()) {
      throw new IllegalArgumentException("offset " + offset + " outside blob of " + blob.size() + " bytes");
    }
    if (offset == blob.size()) {
      return InputStream.nullInputStream();
    }
    return new ResumingBlobStream(at -> openFrom(transport, blob, at, counter),
        options.retry().attempts("fetch " + blob.digest()), offset, blob.size(), blob.hosts().size() > 1);
  }

  /** One opening of {@code blob} at {@code offset}: the first host, in order, that answers. */
  private InputStream openFrom(RegistryTransport transport, BlobLocation blob, long offset, FetchEvents counter) {
    long firstEnd = Math.min(blob.size(), offset + options.chunkSize());
    RegistryException last = null;
    for (int i = 0; i < blob.hosts().size(); i++) {
      if (last != null) {
        counter.hostSkipped("fetch " + blob.digest(), blob.hosts().get(i - 1).authority(), last.getMessage(),
            blob.hosts().get(i).authority());
      }
      RegistryHost host = blob.hosts().get(i);
      BlobRoute route = new BlobRoute(host, blob, transport, counter);
      // A mirror is asked for the whole blob in one request, as containerd asks it: the engine behind
      // it (Dragonfly, a pull-through cache, Spegel) fetches, shares and parallelises whole blobs, and
      // takes a small range for a download of its own (dfdaemon sends a range of at most its 4 MiB
      // minimum piece straight to the registry, bypassing its P2P network). Resuming asks for ranges.
      boolean whole = host.mirror() && offset == 0;
      Response first;
      try {
        boolean another = i + 1 < blob.hosts().size();
        RetryPolicy.Attempt<Response> open = whole
            ? () -> openWhole(route)
            : () -> openRange(route, offset, firstEnd);
        first = options.retry().run("fetch " + blob.digest(), () -> another
            ? RegistryTransport.leavingUnreachable(open, host.authority())
            : open.run());
      } catch (IOException e) {
        last = RegistryClient.network("fetch " + blob.digest() + " from " + host.authority(), e);
        continue;
      } catch (RegistryException e) {
        if (e.failure() == Failure.VERIFICATION) {
          throw e;
        }
        last = e;
        continue;
      }
      if (first.code() == 200 || whole) {
        return new WholeBodyStream(first, blob, offset, (digest, n) -> received(route, n));
      }
      return new OrderedChunkStream(this, route, offset, firstEnd, first.body().byteStream(), options.chunksPerBlob(),
          connections);
    }
    throw last;
  }

  /** Counts bytes and applies the bandwidth limit. */
  void received(BlobRoute route, long bytes) {
    route.counter.received(route.blob.digest(), bytes);
    if (bandwidth != null && bytes > 0) {
      bandwidth.acquire((int) Math.min(Integer.MAX_VALUE, bytes));
    }
  }

  /** A downloaded chunk: the first {@code length} bytes of a pooled array. */
  record Filled(byte[] array, int length) {}

  BufferPool buffers() {
    return buffers;
  }

  /**
   * Downloads [start, end) of {@code blob} into a pooled buffer, resuming after failures.
   *
   * @param initial the body of a validated answer for exactly this range, or null to request it
   */
  Filled downloadChunk(BlobRoute route, long start, long end, InputStream initial) throws IOException {
    BlobLocation blob = route.blob;
    int readSize = bandwidth == null ? Integer.MAX_VALUE : LIMITED_READ;
    int length = Math.toIntExact(end - start);
    byte[] buffer = buffers.take();
    try {
      fill(route, start, buffer, length, initial, readSize);
      return new Filled(buffer, length);
    } catch (IOException | RuntimeException e) {
      buffers.give(buffer);
      throw e;
    }
  }

  private void fill(BlobRoute route, long start, byte[] buffer, int length, InputStream initial, int readSize)
      throws IOException {
    BlobLocation blob = route.blob;
    long end = start + length;
    int filled = 0;
    RetryPolicy.Attempts attempts = options.retry().attempts("fetch " + blob.digest());
    InputStream body = initial;
    while (filled < length) {
      try {
        if (body == null) {
          body = openChunk(route, start + filled, end);
        }
        try (InputStream in = body) {
          int n;
          long unreported = 0;
          try {
            while (filled < length && (n = in.read(buffer, filled, Math.min(readSize, length - filled))) > 0) {
              filled += n;
              unreported += n;
              // Progress in steps of 1 MiB (a socket read is a few KiB); the limiter sees every read.
              if (bandwidth != null || unreported >= REPORT_STEP) {
                received(route, unreported);
                unreported = 0;
              }
            }
          } finally {
            received(route, unreported);
          }
        } finally {
          body = null;
        }
        if (filled < length) {
          throw new EOFException("connection closed at byte " + (start + filled) + " of " + blob.digest());
        }
      } catch (IOException e) {
        attempts.failed(e);
      }
    }
  }

  /**
   * Requests bytes [start, end) of a chunk on the {@link RangeConnections} and returns the body of
   * a validated 206: from the storage URL the registry last redirected to, else from the registry,
   * following one redirect to storage as {@link RegistryTransport} would. A 401, a redirect to the
   * registry itself or a storage URL that no longer works is handed to OkHttp's path, which renews
   * the token or follows the whole chain; any other answer fails as it would there.
   */
  private InputStream openChunk(BlobRoute route, long start, long end) throws IOException {
    HttpUrl cached = route.redirectTarget();
    if (cached != null) {
      InputStream body = fromStorage(route, cached, start, end);
      if (body != null) {
        return body;
      }
    }
    Request request = rangeRequest(route.registryUrl(), start, end);
    RangeExchange answer = route.transport.sendRange(route.host, request);
    int code = answer.code();
    if (code == 206 || code == 200) {
      return partialBody(route.blob, answer, start, end);
    }
    if (code >= 300 && code <= 399) {
      answer.discard();
      HttpUrl next = RegistryTransport.redirectTarget(request.url(), answer.header("Location"));
      if (!RegistryTransport.isSameOrigin(request.url(), next)) {
        route.remember(next);
        InputStream body = fromStorage(route, next, start, end);
        if (body != null) {
          return body;
        }
      }
    } else if (code == 401) {
      answer.discard();
    } else {
      // An error fails here as on OkHttp's path; any other answer is asked again there.
      validated(route.blob, answer.toResponse(request), start, end).close();
    }
    Response response = openRange(route, start, end);
    if (response.code() != 206) {
      response.close();
      throw rangeIgnored(route.blob);
    }
    return response.body().byteStream();
  }

  /** The range from a storage URL, anonymously; null (and the URL forgotten) when it no longer works. */
  private static InputStream fromStorage(BlobRoute route, HttpUrl storage, long start, long end) throws IOException {
    RangeExchange answer = route.transport.sendRange(null, rangeRequest(storage, start, end));
    if (answer.code() == 206 || answer.code() == 200) {
      return partialBody(route.blob, answer, start, end);
    }
    // Expired or revoked storage URL: the registry is asked for a fresh redirect.
    answer.discard();
    route.forget(storage);
    return null;
  }

  private static InputStream partialBody(BlobLocation blob, RangeExchange answer, long start, long end) {
    try {
      if (answer.code() != 206) {
        throw rangeIgnored(blob);
      }
      checkPartial(blob, answer.header("Content-Encoding"), answer.header("Content-Range"), start, end);
      if (answer.contentLength() != end - start) {
        throw new RegistryException(Failure.VERIFICATION, "fetch " + blob.digest() + ": asked for " + (end - start)
            + " bytes but the answer's Content-Length is " + answer.contentLength());
      }
      return answer.body();
    } catch (RuntimeException e) {
      answer.discard();
      throw e;
    }
  }

  private static RegistryException rangeIgnored(BlobLocation blob) {
    return new RegistryException(Failure.NETWORK,
        "fetch " + blob.digest() + ": the registry stopped honouring Range requests");
  }

  /**
   * Requests bytes [start, end) from the registry through OkHttp, which renews tokens and follows
   * redirect chains (a working storage URL has been tried on the range connections first). Returns a
   * validated 206, or a 200 carrying the whole blob when the registry ignores Range; throws for
   * anything else.
   */
  private Response openRange(BlobRoute route, long start, long end) throws IOException {
    return open(route, rangeRequest(route.registryUrl(), start, end), start, end);
  }

  /** The whole blob in one request (a mirror's); validated like a range covering all of it. */
  private Response openWhole(BlobRoute route) throws IOException {
    return open(route, blobRequest(route.registryUrl()).build(), 0, route.blob.size());
  }

  private Response open(BlobRoute route, Request request, long start, long end) throws IOException {
    Response response = route.transport.execute(route.host, request);
    route.remember(response.request().url());
    return validated(route.blob, response, start, end);
  }

  private static Request rangeRequest(HttpUrl url, long start, long end) {
    return blobRequest(url).header("Range", "bytes=" + start + "-" + (end - 1)).build();
  }

  /** Blob bytes as stored: a digest is of the bytes, never of a transfer encoding of them. */
  private static Request.Builder blobRequest(HttpUrl url) {
    return new Request.Builder().url(url).header("Accept-Encoding", "identity");
  }

  private Response validated(BlobLocation blob, Response response, long start, long end) throws IOException {
    String what = "fetch " + blob.digest();
    try {
      int code = response.code();
      if (RetryPolicy.isRetryableStatus(code)) {
        throw HttpErrors.retryLater(response, what);
      }
      if (code != 200 && code != 206) {
        throw HttpErrors.of(response, what);
      }
      if (code == 206) {
        checkPartial(blob, response.header("Content-Encoding"), response.header("Content-Range"), start, end);
      } else {
        checkEncoding(blob, response.header("Content-Encoding"));
      }
      return response;
    } catch (IOException | RuntimeException e) {
      response.close();
      throw e;
    }
  }

  private static void checkPartial(BlobLocation blob, String encoding, String contentRange, long start, long end) {
    checkEncoding(blob, encoding);
    checkContentRange(blob, start, end, contentRange);
  }

  private static void checkEncoding(BlobLocation blob, String encoding) {
    if (encoding != null && !encoding.equalsIgnoreCase("identity")) {
      throw new RegistryException(Failure.VERIFICATION,
          "fetch " + blob.digest() + ": the registry applied Content-Encoding " + HttpErrors.sanitize(encoding)
              + " to a blob");
    }
  }

  private static void checkContentRange(BlobLocation blob, long start, long end, String header) {
    Matcher m = header == null ? null : CONTENT_RANGE.matcher(header.trim());
    boolean ok = m != null && m.matches()
        && Long.parseLong(m.group(1)) == start
        && Long.parseLong(m.group(2)) == end - 1
        && (m.group(3).equals("*") || Long.parseLong(m.group(3)) == blob.size());
    if (!ok) {
      throw new RegistryException(Failure.VERIFICATION,
          "fetch " + blob.digest() + ": asked for bytes " + start + "-" + (end - 1) + " of " + blob.size()
              + " but got Content-Range " + (header == null ? "(none)" : HttpErrors.sanitize(header)));
    }
  }

  FetchOptions options() {
    return options;
  }

  @Override
  public void close() {
    connections.shutdownNow();
  }

  static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
