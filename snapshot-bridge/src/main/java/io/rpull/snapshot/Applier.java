package io.rpull.snapshot;

import io.rpull.types.Descriptor;
import java.util.List;

/** containerd's Diff service: applies a layer blob onto mounts. */
public interface Applier {
  /** Applies {@code layer} (a committed blob) onto {@code mounts}; returns the uncompressed content's descriptor. */
  Descriptor apply(Descriptor layer, List<Mount> mounts);
}
