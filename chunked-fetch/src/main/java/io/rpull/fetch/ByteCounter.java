package io.rpull.fetch;

import io.rpull.types.Digest;

/** Told of every byte received from the network, for progress and statistics. */
@FunctionalInterface
public interface ByteCounter {
  void received(Digest blob, long bytes);

  ByteCounter NONE = (blob, bytes) -> {};
}
