package io.rpull.containerd;

import io.rpull.types.Digest;
import java.util.Map;

/** A committed blob as containerd's content store describes it. */
public record ContentInfo(Digest digest, long size, Map<String, String> labels) {
  public ContentInfo {
    labels = Map.copyOf(labels);
  }
}
