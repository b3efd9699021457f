package io.rpull.containerd;

import java.io.IOException;
import java.io.InputStream;

/** Where an ingest gets a blob's bytes: from any offset, so that a partial ingest resumes. */
@FunctionalInterface
public interface BlobSource {
  /** The blob's bytes from {@code offset} to its end, in order. */
  InputStream open(long offset) throws IOException;
}
