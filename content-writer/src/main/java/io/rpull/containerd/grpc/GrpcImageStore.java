package io.rpull.containerd.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.rpull.containerd.ContainerdException;
import io.rpull.containerd.ImageRecord;
import io.rpull.containerd.ImageStore;
import io.rpull.containerd.api.images.CreateImageRequest;
import io.rpull.containerd.api.images.GetImageRequest;
import io.rpull.containerd.api.images.Image;
import io.rpull.containerd.api.images.UpdateImageRequest;
import java.util.Optional;

/** Image records over gRPC. */
public final class GrpcImageStore implements ImageStore {
  private final GrpcSession session;

  public GrpcImageStore(GrpcSession session) {
    this.session = session;
  }

  @Override
  public Optional<ImageRecord> get(String name) {
    try {
      Image image = session.images().get(GetImageRequest.newBuilder().setName(name).build()).getImage();
      return Optional.of(new ImageRecord(image.getName(), ProtoTypes.descriptor(image.getTarget()),
          image.getLabelsMap()));
    } catch (StatusRuntimeException e) {
      if (GrpcErrors.is(e, Status.Code.NOT_FOUND)) {
        return Optional.empty();
      }
      throw GrpcErrors.of("get image " + name, e);
    }
  }

  /** Create, else Update without a mask (replacing target and labels); a record deleted in between is created again. */
  @Override
  public void put(ImageRecord record) {
    String name = record.name();
    Image image = Image.newBuilder().setName(name).setTarget(ProtoTypes.descriptor(record.target()))
        .putAllLabels(record.labels()).build();
    for (int attempt = 0; attempt < 3; attempt++) {
      try {
        session.images().create(CreateImageRequest.newBuilder().setImage(image).build());
        return;
      } catch (StatusRuntimeException e) {
        if (!GrpcErrors.is(e, Status.Code.ALREADY_EXISTS)) {
          throw GrpcErrors.of("create image " + name, e);
        }
      }
      try {
        session.images().update(UpdateImageRequest.newBuilder().setImage(image).build());
        return;
      } catch (StatusRuntimeException e) {
        if (!GrpcErrors.is(e, Status.Code.NOT_FOUND)) {
          throw GrpcErrors.of("update image " + name, e);
        }
      }
    }
    throw new ContainerdException(ContainerdException.Code.OTHER,
        "image " + name + " kept changing while it was being recorded", null);
  }
}
