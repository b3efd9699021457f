package io.rpull.fetch;

import java.io.InputStream;

/** Gives a blob's bytes as one ordered stream, however they are fetched. */
public interface BlobFetcher {
  /**
   * Opens {@code blob} starting at byte {@code offset}: the stream yields exactly
   * {@code blob.size() - offset} bytes in order, or throws. Closing it early cancels what is in flight.
   */
  InputStream open(BlobLocation blob, long offset);
}
