package io.rpull.fetch;

import java.util.Optional;

/** Opens the registry of an image for one pull. */
@FunctionalInterface
public interface ImageSources {
  /**
   * @param credentials for the reference's own registry only, never offered to another host
   *     (empty: docker's config.json and credential helpers, or anonymous)
   * @param counter told of every blob byte received
   */
  ImageSource open(ImageReference reference, Optional<Credentials> credentials, FetchEvents counter);
}
