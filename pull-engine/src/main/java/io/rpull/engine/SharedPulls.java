package io.rpull.engine;

import io.rpull.snapshot.SnapshotLocks;
import io.rpull.types.Digest;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.Semaphore;

/**
 * What every pull of one process shares, however many run at once (a node agent runs pulls for
 * kubelet and for command lines together): each blob is downloaded by one pull while the others
 * wait and then find it committed (containerd's content store is shared by all namespaces), each
 * snapshot is unpacked by one pull, and the number of blobs downloading at once (so the chunk
 * buffers they hold) has one bound for the whole process. Through {@link NodeLocks}, a blob is
 * also downloaded by one process of the node at a time.
 */
public final class SharedPulls {
  private final KeyedLocks<Digest> blobs = new KeyedLocks<>();
  private final KeyedLocks<String> snapshots = new KeyedLocks<>();
  private final Semaphore blobSlots;
  private final PullObserver observer;
  private final NodeLocks nodeLocks;

  /** A blob's way into containerd. */
  @FunctionalInterface
  public interface BlobWork<T> {
    T run() throws IOException;
  }

  /** @param blobsAtOnce blobs downloading at once across all pulls */
  public SharedPulls(int blobsAtOnce) {
    this(blobsAtOnce, PullObserver.NONE, NodeLocks.none());
  }

  /**
   * @param blobsAtOnce blobs downloading at once across all pulls
   * @param observer told of every pull's start and end
   * @param nodeLocks how downloads are shared with the node's other processes
   */
  public SharedPulls(int blobsAtOnce, PullObserver observer, NodeLocks nodeLocks) {
    this.observer = observer;
    this.nodeLocks = nodeLocks;
    if (blobsAtOnce < 1) {
      throw new IllegalArgumentException("blobsAtOnce must be at least 1: " + blobsAtOnce);
    }
    this.blobSlots = new Semaphore(blobsAtOnce, true);
  }

  PullObserver observer() {
    return observer;
  }

  /**
   * Runs {@code work} for blob {@code digest} after any other pull's work on the same digest, in
   * one of the process's blob slots. The wait for the digest comes first, so a pull that waits for
   * another holds no slot.
   */
  <T> T blob(Digest digest, BlobWork<T> work) throws IOException {
    // This process's waiters queue in memory; one of them at a time queues for the node's lock.
    try (KeyedLocks.Held held = blobs.lock(digest); NodeLocks.Held node = nodeLocks.lock(digest)) {
      try {
        blobSlots.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for a download slot");
      }
      try {
        return work.run();
      } finally {
        blobSlots.release();
      }
    }
  }

  /** The snapshot locks of one containerd namespace (snapshots are per namespace). */
  SnapshotLocks snapshots(String namespace) {
    return (snapshotter, chainId) -> {
      KeyedLocks.Held held = snapshots.lock(namespace + "/" + snapshotter + "/" + chainId);
      return held::close;
    };
  }

  /** Digests and snapshots some pull is working on or waiting for; for tests. */
  int busyKeys() {
    return blobs.size() + snapshots.size();
  }
}
