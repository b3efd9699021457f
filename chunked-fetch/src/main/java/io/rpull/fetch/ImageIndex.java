package io.rpull.fetch;

import io.rpull.types.Descriptor;
import io.rpull.types.MediaTypes;
import io.rpull.types.Platform;
import java.util.List;
import java.util.Optional;

/** An OCI image index or Docker manifest list: the per-platform manifests of one image. */
public record ImageIndex(List<Descriptor> manifests) {
  public ImageIndex {
    manifests = List.copyOf(manifests);
  }

  /**
   * The first manifest for {@code wanted}, as the image spec asks. Entries with media types we do
   * not know are skipped, never an error.
   */
  public Optional<Descriptor> manifestFor(Platform wanted) {
    return manifests.stream()
        .filter(d -> MediaTypes.isManifest(d.mediaType()))
        .filter(d -> d.platform().map(wanted::matches).orElse(false))
        .findFirst();
  }
}
