package io.rpull.snapshot;

import java.util.ArrayList;
import java.util.List;

/** A mount a snapshotter returns for an active snapshot. */
public record Mount(String type, String source, String target, List<String> options) {
  public Mount {
    options = List.copyOf(options);
  }

  /**
   * What to apply a layer onto when its snapshot was prepared without a parent: overlayfs answers
   * with a bind mount of the upper directory, and applying through a bind mount would drop the
   * layer's whiteouts (there is nothing below to delete). As an overlay mount with only an
   * {@code upperdir}, containerd's applier writes into the directory and turns whiteouts into
   * overlay whiteouts, as its own parallel unpack does. Other mounts are returned as they are.
   */
  static List<Mount> upperOnly(List<Mount> mounts) {
    if (mounts.size() != 1 || !mounts.get(0).type().equals("bind")) {
      return mounts;
    }
    Mount bind = mounts.get(0);
    List<String> options = new ArrayList<>();
    for (String option : bind.options()) {
      if (!option.equals("rbind")) {
        options.add(option);
      }
    }
    options.add("upperdir=" + bind.source());
    return List.of(new Mount("overlay", "overlay", bind.target(), options));
  }
}
