package io.rpull.snapshot;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One snapshotter of a namespace, as containerd's {@code snapshots.Snapshotter}. Failures are
 * {@code ContainerdException}s whose code says ALREADY_EXISTS or NOT_FOUND where containerd does.
 */
public interface Snapshotter {
  /** The snapshotter's name, e.g. {@code overlaybd}. */
  String name();

  /** The snapshot {@code key}, or empty if it does not exist. */
  Optional<SnapshotInfo> stat(String key);

  /** Creates the active snapshot {@code key} on {@code parent} ("" for none) and returns its mounts. */
  List<Mount> prepare(String key, String parent, Map<String, String> labels);

  /** The mounts of an active snapshot. */
  List<Mount> mounts(String key);

  /** Commits the active snapshot {@code key} as {@code name}. */
  void commit(String name, String key, Map<String, String> labels);

  /**
   * Whether a snapshot prepared without a parent can be committed onto one ({@link #commitOnto}):
   * containerd's "rebase" capability (2.2+, overlayfs), which lets layers unpack side by side.
   */
  boolean canRebase();

  /** Commits the active snapshot {@code key}, prepared without a parent, as {@code name} on {@code parent}. */
  void commitOnto(String name, String key, String parent, Map<String, String> labels);

  /** Removes a snapshot. */
  void remove(String key);
}
