package io.rpull.containerd;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.rpull.containerd.api.images.CreateImageRequest;
import io.rpull.containerd.api.images.GetImageRequest;
import io.rpull.containerd.api.images.Image;
import io.rpull.containerd.api.images.UpdateImageRequest;
import io.rpull.containerd.api.types.Descriptor;
import java.util.Map;
import java.util.Optional;

/** Image records: created last in a pull, when everything they point at is in place. */
public final class ImageStore {
  private final ContainerdSession session;

  public ImageStore(ContainerdSession session) {
    this.session = session;
  }

  public Optional<Image> get(String name) {
    try {
      return Optional.of(session.images().get(GetImageRequest.newBuilder().setName(name).build()).getImage());
    } catch (StatusRuntimeException e) {
      if (ContainerdException.is(e, Status.Code.NOT_FOUND)) {
        return Optional.empty();
      }
      throw ContainerdException.of("get image " + name, e);
    }
  }

  /**
   * Creates the record, or replaces target and labels of an existing one (Update without a mask),
   * as containerd's client does; a record deleted in between is created again.
   */
  public void put(String name, Descriptor target, Map<String, String> labels) {
    Image image = Image.newBuilder().setName(name).setTarget(target).putAllLabels(labels).build();
    for (int attempt = 0; attempt < 3; attempt++) {
      try {
        session.images().create(CreateImageRequest.newBuilder().setImage(image).build());
        return;
      } catch (StatusRuntimeException e) {
        if (!ContainerdException.is(e, Status.Code.ALREADY_EXISTS)) {
          throw ContainerdException.of("create image " + name, e);
        }
      }
      try {
        session.images().update(UpdateImageRequest.newBuilder().setImage(image).build());
        return;
      } catch (StatusRuntimeException e) {
        if (!ContainerdException.is(e, Status.Code.NOT_FOUND)) {
          throw ContainerdException.of("update image " + name, e);
        }
      }
    }
    throw new ContainerdException(ContainerdException.Kind.OTHER,
        "image " + name + " kept changing while it was being recorded", null);
  }
}
