package io.rpull.snapshot;

import java.util.Map;

/** A snapshot as its snapshotter describes it. */
public record SnapshotInfo(String name, String parent, Kind kind, Map<String, String> labels) {
  /** containerd's snapshot kinds. */
  public enum Kind {
    VIEW,
    ACTIVE,
    COMMITTED
  }

  public SnapshotInfo {
    labels = Map.copyOf(labels);
  }
}
