package io.rpull.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

/** {@code /metrics} (Prometheus text) and {@code /healthz} on one small HTTP listener, loopback by default. */
final class HealthServer implements AutoCloseable {
  private final HttpServer server;

  private HealthServer(HttpServer server) {
    this.server = server;
  }

  /** @param serving false once the agent drains: /healthz then answers 503 */
  static HealthServer start(InetSocketAddress address, PullMetrics metrics, BooleanSupplier serving)
      throws IOException {
    HttpServer server = HttpServer.create(address, 16);
    server.createContext("/metrics", exchange -> {
      try (exchange) {
        exchange.getResponseHeaders().set("Content-Type", PullMetrics.contentType());
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream body = exchange.getResponseBody()) {
          metrics.write(body);
        }
      }
    });
    server.createContext("/healthz", exchange -> {
      boolean ok = serving.getAsBoolean();
      answer(exchange, ok ? 200 : 503, ok ? "ok\n" : "draining\n");
    });
    server.createContext("/", exchange -> answer(exchange, 404, "not found: try /metrics or /healthz\n"));
    server.start();
    return new HealthServer(server);
  }

  private static void answer(HttpExchange exchange, int status, String text) throws IOException {
    try (exchange) {
      byte[] body = text.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      exchange.sendResponseHeaders(status, body.length);
      exchange.getResponseBody().write(body);
    }
  }

  int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
