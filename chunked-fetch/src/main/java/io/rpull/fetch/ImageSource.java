package io.rpull.fetch;

import io.rpull.types.Descriptor;
import java.io.InputStream;

/**
 * One image's registry as a pull sees it: the document its reference names, the documents and
 * blobs that document names. Every document is verified against its digest before it is returned.
 */
public interface ImageSource {
  /** A document fetched by reference, with the descriptor computed from its bytes. */
  record Resolved(Descriptor descriptor, byte[] content) {}

  /** Fetches the document the reference names (index or manifest). */
  Resolved resolve();

  /** Fetches a manifest, index or config by descriptor; size and digest are checked. */
  byte[] fetchDocument(Descriptor descriptor);

  /**
   * Opens a layer blob at byte {@code offset}: exactly {@code size - offset} bytes in order, or an
   * exception. Closing the stream early cancels what is in flight.
   */
  InputStream openBlob(Descriptor blob, long offset);
}
