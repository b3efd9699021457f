package io.rpull.snapshot.grpc;

import io.grpc.StatusRuntimeException;
import io.rpull.containerd.api.introspection.IntrospectionGrpc;
import io.rpull.containerd.api.introspection.PluginsRequest;
import io.rpull.containerd.api.snapshots.CommitSnapshotRequest;
import io.rpull.containerd.api.snapshots.Info;
import io.rpull.containerd.api.snapshots.MountsRequest;
import io.rpull.containerd.api.snapshots.PrepareSnapshotRequest;
import io.rpull.containerd.api.snapshots.RemoveSnapshotRequest;
import io.rpull.containerd.api.snapshots.SnapshotsGrpc;
import io.rpull.containerd.api.snapshots.StatSnapshotRequest;
import io.rpull.containerd.grpc.GrpcErrors;
import io.rpull.containerd.grpc.GrpcSession;
import io.rpull.snapshot.Mount;
import io.rpull.snapshot.SnapshotInfo;
import io.rpull.snapshot.Snapshotter;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** One snapshotter through containerd's Snapshots service. */
final class GrpcSnapshotter implements Snapshotter {
  /** The capability containerd's unpacker looks for before unpacking layers in parallel. */
  private static final String REBASE = "rebase";

  private final SnapshotsGrpc.SnapshotsBlockingStub stub;
  private final IntrospectionGrpc.IntrospectionBlockingStub introspection;
  private final String snapshotter;

  GrpcSnapshotter(GrpcSession session, String snapshotter) {
    this.stub = SnapshotsGrpc.newBlockingStub(session.channel());
    this.introspection = IntrospectionGrpc.newBlockingStub(session.channel());
    this.snapshotter = snapshotter;
  }

  @Override
  public String name() {
    return snapshotter;
  }

  @Override
  public Optional<SnapshotInfo> stat(String key) {
    try {
      Info info = stub.stat(StatSnapshotRequest.newBuilder().setSnapshotter(snapshotter).setKey(key).build())
          .getInfo();
      return Optional.of(new SnapshotInfo(info.getName(), info.getParent(), kind(info), info.getLabelsMap()));
    } catch (StatusRuntimeException e) {
      if (GrpcErrors.is(e, io.grpc.Status.Code.NOT_FOUND)) {
        return Optional.empty();
      }
      throw GrpcErrors.of("stat snapshot " + key, e);
    }
  }

  @Override
  public List<Mount> prepare(String key, String parent, Map<String, String> labels) {
    try {
      return mounts(stub.prepare(PrepareSnapshotRequest.newBuilder()
          .setSnapshotter(snapshotter)
          .setKey(key)
          .setParent(parent)
          .putAllLabels(labels)
          .build()).getMountsList());
    } catch (StatusRuntimeException e) {
      throw GrpcErrors.of("prepare snapshot " + key + " on " + snapshotter, e);
    }
  }

  @Override
  public List<Mount> mounts(String key) {
    try {
      return mounts(stub.mounts(MountsRequest.newBuilder().setSnapshotter(snapshotter).setKey(key).build())
          .getMountsList());
    } catch (StatusRuntimeException e) {
      throw GrpcErrors.of("mounts of snapshot " + key, e);
    }
  }

  @Override
  public void commit(String name, String key, Map<String, String> labels) {
    commitOnto(name, key, "", labels);
  }

  @Override
  public boolean canRebase() {
    try {
      return introspection.plugins(PluginsRequest.newBuilder()
              .addFilters("type==io.containerd.snapshotter.v1,id==" + snapshotter).build())
          .getPluginsList().stream().anyMatch(p -> p.getCapabilitiesList().contains(REBASE));
    } catch (StatusRuntimeException e) {
      throw GrpcErrors.of("introspect snapshotter " + snapshotter, e);
    }
  }

  @Override
  public void commitOnto(String name, String key, String parent, Map<String, String> labels) {
    try {
      stub.commit(CommitSnapshotRequest.newBuilder()
          .setSnapshotter(snapshotter)
          .setName(name)
          .setKey(key)
          .setParent(parent)
          .putAllLabels(labels)
          .build());
    } catch (StatusRuntimeException e) {
      throw GrpcErrors.of("commit snapshot " + name + " on " + snapshotter, e);
    }
  }

  @Override
  public void remove(String key) {
    try {
      stub.remove(RemoveSnapshotRequest.newBuilder().setSnapshotter(snapshotter).setKey(key).build());
    } catch (StatusRuntimeException e) {
      throw GrpcErrors.of("remove snapshot " + key, e);
    }
  }

  private static SnapshotInfo.Kind kind(Info info) {
    return switch (info.getKind()) {
      case VIEW -> SnapshotInfo.Kind.VIEW;
      case ACTIVE -> SnapshotInfo.Kind.ACTIVE;
      case COMMITTED -> SnapshotInfo.Kind.COMMITTED;
      default -> SnapshotInfo.Kind.ACTIVE;
    };
  }

  static List<Mount> mounts(List<io.rpull.containerd.api.types.Mount> mounts) {
    return mounts.stream().map(m -> new Mount(m.getType(), m.getSource(), m.getTarget(), m.getOptionsList())).toList();
  }

  static List<io.rpull.containerd.api.types.Mount> protoMounts(List<Mount> mounts) {
    return mounts.stream().map(m -> io.rpull.containerd.api.types.Mount.newBuilder().setType(m.type())
        .setSource(m.source()).setTarget(m.target()).addAllOptions(m.options()).build()).toList();
  }
}
