package io.rpull.fetch;

import io.rpull.types.Descriptor;
import java.util.List;

/** An image manifest: one config and the layers in order, bottom first. */
public record ImageManifest(Descriptor config, List<Descriptor> layers) {
  public ImageManifest {
    layers = List.copyOf(layers);
  }
}
