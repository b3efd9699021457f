package io.rpull.cli;

import io.rpull.engine.NodeLocks;
import io.rpull.engine.PullEngine;
import io.rpull.engine.SharedPulls;
import io.rpull.fetch.Registries;
import io.rpull.fetch.RegistrySettings;
import io.rpull.snapshot.BlobPlacer;
import io.rpull.snapshot.grpc.ContainerdNode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/** An engine of the command's own: its own containerd connection, connection pool and limits. */
final class LocalEngines implements PullEngines {
  private final Clock clock = Clock.systemUTC();
  private final NodeLocks nodeLocks;

  /** @param environment the command's, for where the node's blob locks are ({@code RPULL_RUNTIME_DIR}) */
  LocalEngines(java.util.Map<String, String> environment) {
    this.nodeLocks = NodeLocks.in(NodeLocks.defaultDirectory(environment));
  }

  @Override
  public Optional<String> refusal(Path containerdAddress, boolean httpLog) {
    return Optional.empty();
  }

  @Override
  public Opened open(Path containerdAddress, Duration connectTimeout, int messageBytes, RegistrySettings settings,
      int blobsAtOnce) {
    ContainerdNode node = ContainerdNode.connect(containerdAddress, connectTimeout, messageBytes, clock);
    Registries registries = new Registries(settings, clock);
    PullEngine engine = new PullEngine(registries, node::namespace, new BlobPlacer(), new SharedPulls(blobsAtOnce,
        io.rpull.engine.PullObserver.NONE, nodeLocks),
        clock);
    return new Opened() {
      @Override
      public PullEngine engine() {
        return engine;
      }

      @Override
      public void close() {
        try (node; registries) {
          // both closed, the registries first
        }
      }
    };
  }
}
