package io.rpull.snapshot;

import java.io.IOException;

/** Blocks until a layer's blob is committed in the content store (downloads run ahead of unpacking). */
@FunctionalInterface
public interface BlobWaiter {
  void awaitCommitted(Layer layer) throws IOException;
}
