package io.rpull.snapshot.grpc;

import io.grpc.StatusRuntimeException;
import io.rpull.containerd.api.diff.ApplyRequest;
import io.rpull.containerd.api.diff.DiffGrpc;
import io.rpull.containerd.grpc.GrpcErrors;
import io.rpull.containerd.grpc.GrpcSession;
import io.rpull.containerd.grpc.ProtoTypes;
import io.rpull.snapshot.Applier;
import io.rpull.snapshot.Mount;
import io.rpull.types.Descriptor;
import java.util.List;

/** containerd's Diff service. */
final class GrpcApplier implements Applier {
  private final DiffGrpc.DiffBlockingStub stub;

  GrpcApplier(GrpcSession session) {
    this.stub = DiffGrpc.newBlockingStub(session.channel());
  }

  @Override
  public Descriptor apply(Descriptor layer, List<Mount> mounts) {
    try {
      return ProtoTypes.descriptor(stub.apply(ApplyRequest.newBuilder()
          .setDiff(ProtoTypes.descriptor(layer))
          .addAllMounts(GrpcSnapshotter.protoMounts(mounts))
          .build()).getApplied());
    } catch (StatusRuntimeException e) {
      throw GrpcErrors.of("apply layer " + layer.digest(), e);
    }
  }
}
