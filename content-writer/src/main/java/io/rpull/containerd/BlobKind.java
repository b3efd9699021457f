package io.rpull.containerd;

import io.rpull.types.Digest;

/**
 * What a blob is to the image, which names its ingest ref the way the Go client does
 * ({@code layer-<digest>}, {@code manifest-<digest>}, ...), so that a concurrent ctr or CRI pull of
 * the same blob waits on the same ref lock instead of downloading it twice.
 */
public enum BlobKind {
  INDEX("index"),
  MANIFEST("manifest"),
  CONFIG("config"),
  LAYER("layer");

  private final String word;

  BlobKind(String word) {
    this.word = word;
  }

  /** The ref containerd locks while this blob is being written. */
  public String ingestRef(Digest digest) {
    return word + "-" + digest;
  }

  /** The word ctr uses for it in its progress ({@code layer}, {@code config}, ...). */
  public String word() {
    return word;
  }
}
