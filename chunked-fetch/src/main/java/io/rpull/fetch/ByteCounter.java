package io.rpull.fetch;

/** Told of every byte received from the network, for progress and statistics. */
@FunctionalInterface
public interface ByteCounter {
  void received(BlobLocation blob, long bytes);

  ByteCounter NONE = (blob, bytes) -> {};
}
