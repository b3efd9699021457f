package io.rpull.engine;

import io.rpull.types.Digest;
import java.time.Duration;
import java.util.Optional;

/**
 * How one pull ended.
 *
 * @param image the image record's name
 * @param digest the digest the record points at (index or manifest), once resolved
 * @param config the image's config digest, CRI's image ID; present on success
 * @param bytesFetched blob bytes this pull wrote into containerd
 * @param bytesReused blob bytes that were already in containerd
 * @param layersPlaced overlaybd layers made local without untar
 * @param layersApplied layers unpacked with Diff.Apply
 * @param layersExisting layers whose snapshot already existed or is served remotely
 * @param elapsed from the request to this result
 * @param error why it failed; empty on success
 */
public record PullResult(String image, Optional<Digest> digest, Optional<Digest> config, long bytesFetched, long bytesReused,
    int layersPlaced, int layersApplied, int layersExisting, Duration elapsed, Optional<PullError> error) {

  public boolean succeeded() {
    return error.isEmpty();
  }

  static PullResult failed(String image, Optional<Digest> digest, PullError error, Duration elapsed) {
    return new PullResult(image, digest, Optional.empty(), 0, 0, 0, 0, 0, elapsed, Optional.of(error));
  }
}
