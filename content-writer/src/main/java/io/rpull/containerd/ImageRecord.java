package io.rpull.containerd;

import io.rpull.types.Descriptor;
import java.util.Map;
import java.util.Objects;

/** An image record: a name pointing at the image's top descriptor, with labels. */
public record ImageRecord(String name, Descriptor target, Map<String, String> labels) {
  public ImageRecord {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(target, "target");
    labels = Map.copyOf(labels);
  }
}
