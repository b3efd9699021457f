package io.rpull.snapshot;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.rpull.containerd.ContainerdException;
import io.rpull.containerd.ContainerdSession;
import io.rpull.containerd.api.snapshots.CommitSnapshotRequest;
import io.rpull.containerd.api.snapshots.Info;
import io.rpull.containerd.api.snapshots.PrepareSnapshotRequest;
import io.rpull.containerd.api.snapshots.RemoveSnapshotRequest;
import io.rpull.containerd.api.snapshots.StatSnapshotRequest;
import io.rpull.containerd.api.types.Mount;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The snapshot calls of one snapshotter, with ALREADY_EXISTS turned into answers instead of errors. */
final class Snapshots {
  private final ContainerdSession session;
  private final String snapshotter;

  Snapshots(ContainerdSession session, String snapshotter) {
    this.session = session;
    this.snapshotter = snapshotter;
  }

  String snapshotter() {
    return snapshotter;
  }

  Optional<Info> stat(String name) {
    try {
      return Optional.of(session.snapshots()
          .stat(StatSnapshotRequest.newBuilder().setSnapshotter(snapshotter).setKey(name).build())
          .getInfo());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return Optional.empty();
      }
      throw ContainerdException.of("stat snapshot " + name, e);
    }
  }

  /** The mounts of a new active snapshot, or empty when the target already exists. */
  Optional<List<Mount>> prepare(String key, String parent, Map<String, String> labels) {
    try {
      return Optional.of(session.snapshots().prepare(PrepareSnapshotRequest.newBuilder()
          .setSnapshotter(snapshotter)
          .setKey(key)
          .setParent(parent)
          .putAllLabels(labels)
          .build()).getMountsList());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.ALREADY_EXISTS) {
        return Optional.empty();
      }
      throw ContainerdException.of("prepare snapshot " + key + " on " + snapshotter, e);
    }
  }

  /** Commits {@code key} as {@code name}; false when someone else committed that name first. */
  boolean commit(String name, String key, Map<String, String> labels) {
    try {
      session.snapshots().commit(CommitSnapshotRequest.newBuilder()
          .setSnapshotter(snapshotter)
          .setName(name)
          .setKey(key)
          .putAllLabels(labels)
          .build());
      return true;
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.ALREADY_EXISTS) {
        return false;
      }
      throw ContainerdException.of("commit snapshot " + name + " on " + snapshotter, e);
    }
  }

  /** Best-effort removal of an active snapshot left by a failed step. */
  void removeQuietly(String key) {
    try {
      session.snapshots().remove(RemoveSnapshotRequest.newBuilder().setSnapshotter(snapshotter).setKey(key).build());
    } catch (StatusRuntimeException e) {
      // Nothing more to do: the key is under our expiring lease and GC will take it.
    }
  }
}
