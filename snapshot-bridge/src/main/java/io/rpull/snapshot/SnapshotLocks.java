package io.rpull.snapshot;

import io.rpull.types.Digest;
import java.io.InterruptedIOException;

/**
 * Serialises the unpacking of one layer among the pulls of a process: the second pull of a layer
 * waits, then finds the snapshot committed instead of preparing, downloading into and applying a
 * copy of its own that it would throw away at commit.
 */
@FunctionalInterface
public interface SnapshotLocks {
  /** Held until closed. */
  interface Held extends AutoCloseable {
    @Override
    void close();
  }

  /** Waits for the layer {@code chainId} of {@code snapshotter} in this namespace. */
  Held lock(String snapshotter, Digest chainId) throws InterruptedIOException;

  /** For a process that runs one pull at a time. */
  static SnapshotLocks none() {
    return (snapshotter, chainId) -> () -> {};
  }
}
