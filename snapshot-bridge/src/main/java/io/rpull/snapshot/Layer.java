package io.rpull.snapshot;

import io.rpull.types.Descriptor;
import io.rpull.types.Digest;
import java.util.Objects;

/** One layer of the image: its blob's descriptor (with the manifest's annotations) and its diffID from the config. */
public record Layer(Descriptor blob, Digest diffId) {
  public Layer {
    Objects.requireNonNull(blob, "blob");
    Objects.requireNonNull(diffId, "diffId");
  }

  /** Native overlaybd: the snapshotter can serve it from the blob itself, no untar needed. */
  public boolean isOverlaybd() {
    return blob.annotations().containsKey(OverlaybdLabels.BLOB_DIGEST)
        && blob.annotations().containsKey(OverlaybdLabels.BLOB_SIZE)
        && !isTurboOci();
  }

  /** TurboOCI layers are unpacked normally: the small meta tarball is applied. */
  public boolean isTurboOci() {
    return blob.annotations().containsKey(OverlaybdLabels.TURBO_OCI_TARGET_DIGEST)
        || blob.annotations().containsKey(OverlaybdLabels.FASTOCI_TARGET_DIGEST);
  }
}
