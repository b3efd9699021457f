package io.rpull.snapshot;

import io.rpull.containerd.BlobRef;
import java.util.Map;

/**
 * One layer of the image being unpacked: its blob, media type, diffID from the config, and the
 * annotations its manifest gave it.
 */
public record Layer(BlobRef blob, String mediaType, String diffId, Map<String, String> annotations) {
  public Layer {
    annotations = Map.copyOf(annotations);
  }

  /** Native overlaybd: the snapshotter can serve it from the blob itself, no untar needed. */
  public boolean isOverlaybd() {
    return annotations.containsKey(OverlaybdLabels.BLOB_DIGEST)
        && annotations.containsKey(OverlaybdLabels.BLOB_SIZE)
        && !isTurboOci();
  }

  /** TurboOCI layers are unpacked normally: the small meta tarball is applied. */
  public boolean isTurboOci() {
    return annotations.containsKey(OverlaybdLabels.TURBO_OCI_TARGET_DIGEST)
        || annotations.containsKey(OverlaybdLabels.FASTOCI_TARGET_DIGEST);
  }
}
