package io.rpull.fetch;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Set;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * --http-dump: every request and response head on stderr, with credentials and signed query strings
 * replaced by "[redacted]". --http-trace: one line per request with its time.
 */
final class HttpDump implements Interceptor {
  private static final Set<String> SECRET_HEADERS = Set.of("authorization", "proxy-authorization", "cookie",
      "set-cookie", "x-amz-security-token");

  private final PrintWriter err;
  private final boolean headers;

  HttpDump(PrintWriter err, boolean headers) {
    this.err = err;
    this.headers = headers;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    long start = System.nanoTime();
    sent(request.method(), request.url(), request.headers());
    Response response = chain.proceed(request);
    received(request.method(), response.code(), response.message(), request.url(), response.headers(), start);
    return response;
  }

  /** A request as sent, on OkHttp's path or on {@link RangeConnections}. */
  void sent(String method, HttpUrl url, Headers requestHeaders) {
    if (headers) {
      print("> " + method + " " + RegistryTransport.redact(url), requestHeaders);
    }
  }

  /** Its answer's head; {@code startNanos} is when the request was sent. */
  void received(String method, int code, String message, HttpUrl url, Headers responseHeaders, long startNanos) {
    if (headers) {
      print("< " + code + " " + message + " " + RegistryTransport.redact(url), responseHeaders);
    } else {
      synchronized (err) {
        err.printf("http: %s %s -> %d in %d ms%n", method, RegistryTransport.redact(url), code,
            (System.nanoTime() - startNanos) / 1_000_000);
        err.flush();
      }
    }
  }

  private void print(String line, Headers h) {
    StringBuilder b = new StringBuilder(line).append('\n');
    for (int i = 0; i < h.size(); i++) {
      String name = h.name(i);
      String value = SECRET_HEADERS.contains(name.toLowerCase(Locale.ROOT)) ? "[redacted]" : h.value(i);
      if (name.equalsIgnoreCase("location") && value.contains("?")) {
        value = value.substring(0, value.indexOf('?')) + "?[redacted]";
      }
      b.append("  ").append(name).append(": ").append(value).append('\n');
    }
    synchronized (err) {
      err.print(b);
      err.flush();
    }
  }
}
