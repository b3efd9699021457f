package io.rpull.cli;

import io.rpull.engine.NodeLocks;
import io.rpull.engine.PullEngine;
import io.rpull.engine.SharedPulls;
import io.rpull.fetch.Registries;
import io.rpull.fetch.RegistrySettings;
import io.rpull.snapshot.BlobPlacer;
import io.rpull.snapshot.grpc.ContainerdNode;
import com.google.common.base.Throwables;
import com.google.common.util.concurrent.Uninterruptibles;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

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
    // containerd is connected to while the registry resolves the image: a pull needs both, and a
    // no-op is mostly the two round trips' set-up (gRPC and Netty on one side, OkHttp on the other).
    // A socket that is not there or refuses is still reported first, as ctr does.
    ContainerdNode.checkReachable(containerdAddress);
    FutureTask<ContainerdNode> connecting = new FutureTask<>(
        () -> ContainerdNode.connect(containerdAddress, connectTimeout, messageBytes, clock));
    Thread connector = new Thread(connecting, "rpull-containerd-connect");
    connector.setDaemon(true);
    connector.start();
    Registries registries = new Registries(settings, clock);
    PullEngine engine = new PullEngine(registries, namespace -> connected(connecting).namespace(namespace),
        new BlobPlacer(), new SharedPulls(blobsAtOnce, io.rpull.engine.PullObserver.NONE, nodeLocks), clock);
    return new Opened() {
      @Override
      public PullEngine engine() {
        return engine;
      }

      @Override
      public void close() {
        registries.close();
        try {
          connected(connecting).close();
        } catch (RuntimeException e) {
          // Never connected: nothing to close, and the pull has reported why.
        }
      }
    };
  }

  /** The connection, once made; its failure as thrown by {@link ContainerdNode#connect}. */
  private static ContainerdNode connected(FutureTask<ContainerdNode> connecting) {
    try {
      return Uninterruptibles.getUninterruptibly(connecting);
    } catch (ExecutionException e) {
      Throwables.throwIfUnchecked(e.getCause());
      throw new IllegalStateException(e.getCause());
    }
  }
}
