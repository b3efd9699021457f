package io.rpull.agent;

import io.rpull.agent.cri.CriImageServer;
import io.rpull.engine.NodeLocks;
import io.rpull.engine.PullEngine;
import io.rpull.engine.PullObserver;
import io.rpull.engine.PullRequest;
import io.rpull.engine.PullResult;
import io.rpull.engine.SharedPulls;
import io.rpull.fetch.CredentialHelper;
import io.rpull.fetch.DockerConfigCredentials;
import io.rpull.fetch.FetchOptions;
import io.rpull.fetch.Registries;
import io.rpull.fetch.RegistrySettings;
import io.rpull.fetch.TlsSettings;
import io.rpull.snapshot.BlobPlacer;
import io.rpull.snapshot.grpc.ContainerdNode;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * rpulld's parts, wired once: one containerd connection, one connection pool and downloader,
 * one {@link SharedPulls} (single flight and node-wide limits) behind both the CRI image service
 * and the command line's agent socket, and the metrics and log every pull feeds.
 */
final class NodeAgent implements AutoCloseable {
  private final AgentConfig config;
  private final PrintStream log;
  private final ContainerdNode node;
  private final Registries registries;
  private final CriImageServer cri;
  private final AgentSocketServer agentSocket;
  private final Optional<HealthServer> health;
  private final AtomicBoolean serving;

  private NodeAgent(AgentConfig config, PrintStream log, ContainerdNode node, Registries registries,
      CriImageServer cri, AgentSocketServer agentSocket, Optional<HealthServer> health, AtomicBoolean serving) {
    this.config = config;
    this.log = log;
    this.node = node;
    this.registries = registries;
    this.cri = cri;
    this.agentSocket = agentSocket;
    this.health = health;
    this.serving = serving;
  }

  static NodeAgent start(AgentConfig config, PrintStream log, String version) throws IOException {
    Clock clock = Clock.systemUTC();
    PullMetrics metrics = new PullMetrics();
    PullLog pullLog = new PullLog(log);
    SharedPulls shared = new SharedPulls(config.blobsAtOnce(), both(metrics, pullLog),
        NodeLocks.in(NodeLocks.defaultDirectory(System.getenv())));
    ContainerdNode node = ContainerdNode.connect(config.containerdAddress(), config.connectTimeout(),
        Math.min(config.chunkSize(), 4 << 20), clock);
    FetchOptions fetch = FetchOptions.defaults().withTransfer(config.chunkSize(), config.chunksPerBlob(),
        config.maxConnections(), config.maxBandwidth());
    RegistrySettings settings = new RegistrySettings(config.hostsDir(), false, TlsSettings.SYSTEM,
        DockerConfigCredentials.load(System.getenv(), CredentialHelper.system()), fetch, config.connectTimeout(),
        Duration.ofSeconds(60), "rpulld/" + version, Optional.empty());
    Registries registries = new Registries(settings, clock);
    SocketFiles sockets = new SocketFiles(config.socketGroup());
    CriImageServer cri = null;
    AgentSocketServer agentSocket = null;
    try {
      PullEngine engine = new PullEngine(registries, node::namespace, new BlobPlacer(), shared, clock);
      sockets.prepare(config.criSocket());
      cri = CriImageServer.start(config.criSocket(), config.containerdCriSocket(), new CriPuller(engine, config));
      sockets.restrict(config.criSocket());
      agentSocket = AgentSocketServer.start(config.agentSocket(), sockets,
          new AgentEngines(config.containerdAddress(), node::namespace, registries, shared, clock));
      AtomicBoolean serving = new AtomicBoolean(true);
      Optional<HealthServer> health = config.metricsAddress().isEmpty() ? Optional.empty()
          : Optional.of(HealthServer.start(config.metricsAddress().get(), metrics, serving::get));
      return new NodeAgent(config, log, node, registries, cri, agentSocket, health, serving);
    } catch (IOException | RuntimeException e) {
      if (agentSocket != null) {
        agentSocket.close();
      }
      if (cri != null) {
        cri.close();
      }
      registries.close();
      node.close();
      throw e;
    }
  }

  private static PullObserver both(PullObserver a, PullObserver b) {
    return new PullObserver() {
      @Override
      public void started(PullRequest request) {
        a.started(request);
        b.started(request);
      }

      @Override
      public void finished(PullRequest request, PullResult result) {
        a.finished(request, result);
        b.finished(request, result);
      }
    };
  }

  /**
   * SIGTERM: stop taking work (both sockets go away, /healthz says draining), let pulls in flight
   * finish for up to the drain timeout, then stop the rest; what they fetched stays in containerd
   * under their leases, and the next pull resumes it.
   */
  void drain() {
    serving.set(false);
    log.println("msg=\"draining: no new pulls; waiting up to " + config.drainTimeout().toSeconds()
        + "s for pulls in flight\"");
    cri.stopAccepting();
    agentSocket.stopAccepting();
    long deadline = System.nanoTime() + config.drainTimeout().toNanos();
    try {
      boolean calls = cri.awaitCalls(config.drainTimeout());
      boolean sessions = agentSocket.awaitSessions(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
      log.println(calls && sessions ? "msg=\"drained: every pull in flight finished\""
          : "msg=\"drain timeout: stopping the pulls still running; a rerun resumes them\"");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    health.ifPresent(HealthServer::close);
    agentSocket.close();
    cri.close();
    registries.close();
    node.close();
  }
}
