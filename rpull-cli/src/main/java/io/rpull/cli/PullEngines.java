package io.rpull.cli;

import io.rpull.engine.PullEngine;
import io.rpull.fetch.RegistrySettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Where a command's pulls run: an engine of its own (this process), or the node agent's, which
 * shares downloads, snapshots and limits with every other pull on the node.
 */
public interface PullEngines {
  /** An engine for one command; closing releases what opening made. */
  interface Opened extends AutoCloseable {
    PullEngine engine();

    @Override
    void close();
  }

  /**
   * Why these engines cannot serve a command with these settings (the agent serves only its own
   * containerd, and cannot write a client's HTTP log); empty when they can.
   */
  Optional<String> refusal(Path containerdAddress, boolean httpLog);

  /**
   * @param settings how the command reaches registries (its flags and environment)
   * @param blobsAtOnce --concurrency
   * @throws RuntimeException when containerd cannot be reached
   */
  Opened open(Path containerdAddress, Duration connectTimeout, int messageBytes, RegistrySettings settings,
      int blobsAtOnce);
}
