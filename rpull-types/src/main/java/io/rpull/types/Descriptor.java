package io.rpull.types;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** An OCI content descriptor with its digest already validated. */
public record Descriptor(
    String mediaType, Digest digest, long size, Map<String, String> annotations, Optional<Platform> platform) {
  public Descriptor {
    Objects.requireNonNull(mediaType, "mediaType");
    Objects.requireNonNull(digest, "digest");
    if (size < 0) {
      throw new IllegalArgumentException("negative size in descriptor " + digest);
    }
    annotations = Map.copyOf(annotations);
    Objects.requireNonNull(platform, "platform");
  }

  public static Descriptor of(String mediaType, Digest digest, long size) {
    return new Descriptor(mediaType, digest, size, Map.of(), Optional.empty());
  }
}
