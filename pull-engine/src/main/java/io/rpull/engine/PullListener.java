package io.rpull.engine;

import io.rpull.containerd.BlobKind;
import io.rpull.snapshot.Unpacker;
import io.rpull.types.Descriptor;
import io.rpull.types.Digest;

/**
 * What a pull is doing, for displays, logs and metrics. Called from the pull's threads: an
 * implementation must be thread-safe and quick, and must not throw.
 */
public interface PullListener {
  /** A blob this pull needs (index, manifest, config or layer), before any of it is fetched. */
  default void blobQueued(BlobKind kind, Descriptor blob) {}

  /** Bytes of a blob arrived from the registry. */
  default void bytesReceived(Digest blob, long bytes) {}

  /**
   * A registry host failed {@code what} and the next one is asked instead (a mirror that is down
   * or lacks the content); {@code reason} is one line.
   */
  default void hostSkipped(String what, String host, String reason, String next) {}

  /** A blob is committed in containerd; {@code existed}: it was there already and nothing was fetched. */
  default void blobCommitted(Digest blob, boolean existed) {}

  /** A layer's blob is being placed or applied, then committed as a snapshot. */
  default void layerCommitting(Descriptor layer) {}

  /** A layer's snapshot is done. */
  default void layerDone(Descriptor layer, Unpacker.Outcome outcome) {}

  /** The pull ended, either way. Called once, last. */
  default void finished(PullResult result) {}

  PullListener NONE = new PullListener() {};
}
