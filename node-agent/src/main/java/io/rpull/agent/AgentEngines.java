package io.rpull.agent;

import io.rpull.cli.PullEngines;
import io.rpull.engine.PullEngine;
import io.rpull.engine.SharedPulls;
import io.rpull.fetch.Registries;
import io.rpull.fetch.RegistrySettings;
import io.rpull.snapshot.BlobPlacer;
import io.rpull.snapshot.ContainerdNamespace;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/**
 * The agent's engines for command lines: its containerd connection, its connection pool and
 * downloader, and the node-wide single flight and limits, reaching registries as each command's
 * flags and environment say.
 */
final class AgentEngines implements PullEngines {
  private final Path containerdAddress;
  private final Function<String, ContainerdNamespace> namespaces;
  private final Registries registries;
  private final SharedPulls shared;
  private final Clock clock;

  AgentEngines(Path containerdAddress, Function<String, ContainerdNamespace> namespaces, Registries registries,
      SharedPulls shared, Clock clock) {
    this.containerdAddress = containerdAddress;
    this.namespaces = namespaces;
    this.registries = registries;
    this.shared = shared;
    this.clock = clock;
  }

  @Override
  public Optional<String> refusal(Path address, boolean httpLog) {
    if (!address.toAbsolutePath().normalize().equals(containerdAddress.toAbsolutePath().normalize())) {
      return Optional.of("the agent serves containerd at " + containerdAddress + ", not " + address);
    }
    if (httpLog) {
      return Optional.of("--http-dump and --http-trace are written by the process that makes the requests");
    }
    return Optional.empty();
  }

  /** The command's --concurrency bounds its own pull; the node's bound is the agent's. */
  @Override
  public Opened open(Path address, Duration connectTimeout, int messageBytes, RegistrySettings settings,
      int blobsAtOnce) {
    PullEngine engine = new PullEngine(
        registries.withAccess(settings.hostsDir(), settings.plainHttp(), settings.tls(), settings.configured()),
        namespaces, new BlobPlacer(), shared, clock);
    return new Opened() {
      @Override
      public PullEngine engine() {
        return engine;
      }

      @Override
      public void close() {
        // Everything is the agent's and outlives the command.
      }
    };
  }
}
