package io.rpull.fetch;

import io.rpull.types.Digest;
import io.rpull.types.Platform;
import java.util.List;

/** The parts of an image config a pull needs: the uncompressed layer digests and the platform. */
public record ImageConfig(List<Digest> diffIds, Platform platform) {
  public ImageConfig {
    diffIds = List.copyOf(diffIds);
  }
}
