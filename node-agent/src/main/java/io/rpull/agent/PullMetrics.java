package io.rpull.agent;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.rpull.engine.PullObserver;
import io.rpull.engine.PullRequest;
import io.rpull.engine.PullResult;
import io.rpull.types.Failure;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Locale;

/** The agent's Prometheus metrics, fed by every pull on the node (CRI and command line alike). */
final class PullMetrics implements PullObserver {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Histogram duration = Histogram.builder().name("rpull_pull_duration_seconds")
      .help("Wall time of whole pulls, by result and registry host").labelNames("result", "registry")
      .classicOnly().classicUpperBounds(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
      .register(registry);
  private final Counter fetched = Counter.builder().name("rpull_bytes_fetched")
      .help("Blob bytes downloaded and written into containerd").labelNames("registry").register(registry);
  private final Counter reused = Counter.builder().name("rpull_bytes_reused")
      .help("Blob bytes a pull needed and found in containerd already").labelNames("registry").register(registry);
  private final Counter failures = Counter.builder().name("rpull_pull_failures")
      .help("Pulls that did not complete, by failure class and registry host").labelNames("class", "registry")
      .register(registry);
  private final Gauge inFlight = Gauge.builder().name("rpull_pulls_in_flight").help("Pulls running now")
      .register(registry);

  @Override
  public void started(PullRequest request) {
    inFlight.inc();
  }

  @Override
  public void finished(PullRequest request, PullResult result) {
    inFlight.dec();
    String host = request.reference().registry();
    duration.labelValues(result.succeeded() ? "success" : "failure", host)
        .observe(result.elapsed().toNanos() / 1e9);
    fetched.labelValues(host).inc(result.bytesFetched());
    reused.labelValues(host).inc(result.bytesReused());
    result.error().ifPresent(e -> failures.labelValues(className(e.failure()), host).inc());
  }

  static String className(Failure failure) {
    return failure.name().toLowerCase(Locale.ROOT);
  }

  /** The text exposition format, version 0.0.4. */
  void write(OutputStream out) throws IOException {
    PrometheusTextFormatWriter.create().write(out, registry.scrape());
  }

  static String contentType() {
    return PrometheusTextFormatWriter.CONTENT_TYPE;
  }
}
