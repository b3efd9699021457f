package io.rpull.fetch;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSocket;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;

/**
 * HTTP/1.1 keep-alive connections of rpull's own for blob range requests, so that a chunk's body is
 * read in large blocks straight into its buffer. OkHttp reads a body through Okio's 8 KiB segments
 * (a read() system call and two copies per 8 KiB), which cost more CPU than the rest of a pull;
 * everything that is not a chunk's bytes (documents, tokens, redirects, the first request of a
 * blob) stays on OkHttp.
 *
 * <p>Each connection takes its settings from the OkHttp client the same request would have used:
 * its socket factory, DNS, timeouts, TLS socket factory and hostname verifier, so the trust
 * decisions of both paths are the same.
 */
final class RangeConnections implements AutoCloseable {
  private final int maxIdle;
  private final long keepAliveNanos;
  private final String userAgent;
  private final HttpDump dump;
  private final Deque<RangeSocket> idle = new ArrayDeque<>();
  private boolean closed;

  /**
   * @param maxIdle connections kept open between requests
   * @param keepAliveNanos how long an idle connection is kept
   * @param dump where --http-dump and --http-trace see these requests, or null
   */
  RangeConnections(int maxIdle, long keepAliveNanos, String userAgent, HttpDump dump) {
    this.maxIdle = maxIdle;
    this.keepAliveNanos = keepAliveNanos;
    this.userAgent = Objects.requireNonNull(userAgent, "userAgent");
    this.dump = dump;
  }

  /**
   * Sends {@code request} (a GET without body) with {@code settings}' connection settings and
   * returns its answer's head. A kept-alive connection the server closed in the meantime is
   * replaced by a fresh one once, as OkHttp does.
   */
  RangeExchange send(OkHttpClient settings, Request request) throws IOException {
    Origin origin = Origin.of(settings, request.url());
    long started = System.nanoTime();
    if (dump != null) {
      dump.sent(request.method(), request.url(), request.headers());
    }
    byte[] head = RangeExchange.requestHead(request, userAgent);
    RangeSocket reused = takeIdle(origin);
    RangeExchange exchange = null;
    if (reused != null) {
      try {
        exchange = RangeExchange.send(this, reused, head);
      } catch (IOException e) {
        reused.closeQuietly();
      }
    }
    if (exchange == null) {
      exchange = RangeExchange.send(this, connect(origin), head);
    }
    if (dump != null) {
      dump.received(request.method(), exchange.code(), exchange.message(), request.url(), exchange.headers(), started);
    }
    return exchange;
  }

  /** Takes back a connection whose answer was read to its end. */
  void release(RangeSocket socket) {
    synchronized (this) {
      if (!closed && idle.size() < maxIdle) {
        socket.idleSince = System.nanoTime();
        idle.push(socket);
        return;
      }
    }
    socket.closeQuietly();
  }

  private RangeSocket takeIdle(Origin origin) {
    long now = System.nanoTime();
    synchronized (this) {
      for (Iterator<RangeSocket> it = idle.iterator(); it.hasNext(); ) {
        RangeSocket s = it.next();
        if (now - s.idleSince > keepAliveNanos) {
          it.remove();
          s.closeQuietly();
        } else if (s.origin.equals(origin)) {
          it.remove();
          return s;
        }
      }
    }
    return null;
  }

  private static RangeSocket connect(Origin origin) throws IOException {
    OkHttpClient settings = origin.settings();
    List<InetAddress> addresses = settings.dns().lookup(origin.host());
    IOException last = null;
    for (InetAddress address : addresses) {
      Socket raw = settings.socketFactory().createSocket();
      try {
        raw.connect(new InetSocketAddress(address, origin.port()), settings.connectTimeoutMillis());
        raw.setTcpNoDelay(true);
        raw.setSoTimeout(settings.readTimeoutMillis());
        return new RangeSocket(origin, origin.https() ? handshake(settings, raw, origin) : raw);
      } catch (IOException e) {
        closeQuietly(raw);
        if (last != null) {
          e.addSuppressed(last);
        }
        last = e;
      }
    }
    throw last != null ? last : new java.net.UnknownHostException(origin.host() + ": no address");
  }

  private static Socket handshake(OkHttpClient settings, Socket raw, Origin origin) throws IOException {
    SSLSocket tls = (SSLSocket) settings.sslSocketFactory().createSocket(raw, origin.host(), origin.port(), true);
    tls.startHandshake();
    if (!settings.hostnameVerifier().verify(origin.host(), tls.getSession())) {
      closeQuietly(tls);
      throw new SSLPeerUnverifiedException("the certificate of " + origin.host() + " is not for that name");
    }
    return tls;
  }

  static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // Already broken; nothing to release.
    }
  }

  @Override
  public void close() {
    List<RangeSocket> toClose;
    synchronized (this) {
      closed = true;
      toClose = List.copyOf(idle);
      idle.clear();
    }
    toClose.forEach(RangeSocket::closeQuietly);
  }

  /**
   * Where a connection goes and with which settings; connections are reused only for the same
   * origin. The client compares by identity (OkHttpClient keeps Object's equals): one per TLS setting.
   */
  record Origin(boolean https, String host, int port, OkHttpClient settings) {
    static Origin of(OkHttpClient settings, HttpUrl url) {
      return new Origin(url.isHttps(), url.host(), url.port(), settings);
    }
  }

  /** An open connection and where it goes. */
  static final class RangeSocket {
    final Origin origin;
    final Socket socket;
    long idleSince;

    RangeSocket(Origin origin, Socket socket) {
      this.origin = origin;
      this.socket = socket;
    }

    void closeQuietly() {
      RangeConnections.closeQuietly(socket);
    }
  }
}
