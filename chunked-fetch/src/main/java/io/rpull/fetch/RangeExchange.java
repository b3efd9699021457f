package io.rpull.fetch;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import okhttp3.Headers;
import okhttp3.MediaType;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * One request and its answer on a {@link RangeConnections} connection. The body of an answer with a
 * Content-Length is read straight from the socket into the caller's array, as many bytes per read
 * as the socket has; the connection goes back to the pool once the body has been read to its end.
 */
final class RangeExchange {
  private static final int MAX_HEAD = 64 * 1024;
  private static final int MAX_ERROR_BODY = 64 * 1024;

  private final RangeConnections pool;
  private final RangeConnections.RangeSocket connection;
  private final InputStream in;
  private final int code;
  private final String message;
  private final Headers headers;
  private final boolean keepAlive;
  private final long contentLength;
  /** Body bytes that arrived with the head. */
  private final byte[] early;
  private int earlyPosition;
  private final int earlyLimit;

  private RangeExchange(RangeConnections pool, RangeConnections.RangeSocket connection, InputStream in, int code,
      String message, Headers headers, boolean keepAlive, long contentLength, byte[] early, int earlyPosition,
      int earlyLimit) {
    this.pool = pool;
    this.connection = connection;
    this.in = in;
    this.code = code;
    this.message = message;
    this.headers = headers;
    this.keepAlive = keepAlive;
    this.contentLength = contentLength;
    this.early = early;
    this.earlyPosition = earlyPosition;
    this.earlyLimit = earlyLimit;
  }

  static byte[] requestHead(Request request, String userAgent) {
    StringBuilder b = new StringBuilder(256).append(request.method()).append(' ').append(request.url().encodedPath());
    String query = request.url().encodedQuery();
    if (query != null) {
      b.append('?').append(query);
    }
    b.append(" HTTP/1.1\r\nHost: ").append(hostHeader(request)).append("\r\n");
    Headers h = request.headers();
    for (int i = 0; i < h.size(); i++) {
      b.append(h.name(i)).append(": ").append(h.value(i)).append("\r\n");
    }
    b.append("User-Agent: ").append(userAgent).append("\r\n\r\n");
    return b.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String hostHeader(Request request) {
    var url = request.url();
    String host = url.host().contains(":") ? "[" + url.host() + "]" : url.host();
    return url.port() == okhttp3.HttpUrl.defaultPort(url.scheme()) ? host : host + ":" + url.port();
  }

  /** Writes {@code head} and reads the answer's status line and headers (skipping 1xx answers). */
  static RangeExchange send(RangeConnections pool, RangeConnections.RangeSocket connection, byte[] head)
      throws IOException {
    OutputStream out = connection.socket.getOutputStream();
    out.write(head);
    out.flush();
    InputStream in = connection.socket.getInputStream();
    byte[] buffer = new byte[8192];
    int limit = 0;
    while (true) {
      int end;
      while ((end = headEnd(buffer, limit)) < 0) {
        if (limit == buffer.length) {
          if (buffer.length >= MAX_HEAD) {
            throw new ProtocolException("answer head larger than " + MAX_HEAD + " bytes");
          }
          buffer = java.util.Arrays.copyOf(buffer, buffer.length * 2);
        }
        int n = in.read(buffer, limit, buffer.length - limit);
        if (n < 0) {
          throw new EOFException("connection closed before an answer");
        }
        limit += n;
      }
      RangeExchange answer = parse(pool, connection, in, buffer, end, limit);
      if (answer.code >= 200) {
        return answer;
      }
      // An informational answer (100 Continue): the real one follows.
      System.arraycopy(buffer, end, buffer, 0, limit - end);
      limit -= end;
    }
  }

  /** The index just past the blank line that ends the head, or -1. */
  private static int headEnd(byte[] b, int limit) {
    for (int i = 3; i < limit; i++) {
      if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r') {
        return i + 1;
      }
    }
    return -1;
  }

  private static RangeExchange parse(RangeConnections pool, RangeConnections.RangeSocket connection, InputStream in,
      byte[] buffer, int end, int limit) throws IOException {
    String[] lines = new String(buffer, 0, end - 4, StandardCharsets.ISO_8859_1).split("\r\n");
    String status = lines[0];
    if (!status.startsWith("HTTP/1.") || status.length() < 12 || status.charAt(8) != ' ') {
      throw new ProtocolException("not an HTTP/1.x answer: " + HttpErrors.sanitize(status));
    }
    int code;
    try {
      code = Integer.parseInt(status.substring(9, 12));
    } catch (NumberFormatException e) {
      throw new ProtocolException("bad status line: " + HttpErrors.sanitize(status));
    }
    String message = status.length() > 13 ? status.substring(13) : "";
    Headers.Builder headers = new Headers.Builder();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon <= 0) {
        throw new ProtocolException("bad header line: " + HttpErrors.sanitize(lines[i]));
      }
      headers.addUnsafeNonAscii(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim());
    }
    Headers h = headers.build();
    String connectionHeader = h.get("Connection") == null ? "" : h.get("Connection").toLowerCase(Locale.ROOT);
    boolean keepAlive = status.startsWith("HTTP/1.1") ? !connectionHeader.contains("close")
        : connectionHeader.contains("keep-alive");
    long length = -1;
    if (h.get("Transfer-Encoding") == null && h.get("Content-Length") != null) {
      try {
        length = Long.parseLong(h.get("Content-Length"));
      } catch (NumberFormatException e) {
        throw new ProtocolException("bad Content-Length: " + HttpErrors.sanitize(h.get("Content-Length")));
      }
    }
    if (code == 204 || code == 304 || (code >= 100 && code < 200)) {
      length = 0;
    }
    return new RangeExchange(pool, connection, in, code, message, h, keepAlive, length, buffer, end, limit);
  }

  int code() {
    return code;
  }

  String message() {
    return message;
  }

  Headers headers() {
    return headers;
  }

  String header(String name) {
    return headers.get(name);
  }

  /** -1 when the body is not delimited by a Content-Length (chunked or until close). */
  long contentLength() {
    return contentLength;
  }

  /**
   * The body (it must have a Content-Length). Closing it before its end closes the connection;
   * reading it to its end gives the connection back.
   */
  InputStream body() {
    if (contentLength < 0) {
      throw new IllegalStateException("no Content-Length");
    }
    return new Body();
  }

  /**
   * This answer as an OkHttp response with its body in memory (up to 64 KiB), for the error and
   * status handling shared with the OkHttp path. Closes the exchange.
   */
  Response toResponse(Request request) {
    byte[] body = new byte[0];
    if (contentLength >= 0 && contentLength <= MAX_ERROR_BODY) {
      try (InputStream b = body()) {
        body = b.readAllBytes();
      } catch (IOException e) {
        // The status says enough; the registry's message is a nicety.
      }
    } else {
      discard();
    }
    String type = headers.get("Content-Type");
    return new Response.Builder()
        .request(request)
        .protocol(Protocol.HTTP_1_1)
        .code(code)
        .message(message)
        .headers(headers)
        .body(ResponseBody.create(body, type == null ? null : MediaType.parse(type)))
        .build();
  }

  /** Drops the connection without reading the rest of the answer. */
  void discard() {
    connection.closeQuietly();
  }

  private final class Body extends BlockInputStream {
    private long remaining = contentLength;
    private boolean closed;

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (closed) {
        throw new IOException("body closed");
      }
      // A cancelled download stops at its next read, as Okio's reads do.
      if (Thread.currentThread().isInterrupted()) {
        connection.closeQuietly();
        throw new java.io.InterruptedIOException("interrupted");
      }
      if (remaining == 0) {
        return -1;
      }
      if (len == 0) {
        return 0;
      }
      int want = (int) Math.min(len, remaining);
      int n;
      if (earlyPosition < earlyLimit) {
        n = Math.min(want, earlyLimit - earlyPosition);
        System.arraycopy(early, earlyPosition, b, off, n);
        earlyPosition += n;
      } else {
        n = in.read(b, off, want);
        if (n < 0) {
          throw new EOFException("connection closed with " + remaining + " bytes of the answer outstanding");
        }
      }
      remaining -= n;
      return n;
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      if (remaining == 0 && keepAlive && earlyPosition == earlyLimit) {
        pool.release(connection);
      } else {
        connection.closeQuietly();
      }
    }
  }
}
