package io.rpull.containerd.grpc;

import io.rpull.types.Descriptor;
import io.rpull.types.Digest;

/** The one place domain descriptors become containerd's proto descriptors and back. */
public final class ProtoTypes {
  private ProtoTypes() {}

  public static io.rpull.containerd.api.types.Descriptor descriptor(Descriptor d) {
    return io.rpull.containerd.api.types.Descriptor.newBuilder()
        .setMediaType(d.mediaType())
        .setDigest(d.digest().toString())
        .setSize(d.size())
        .putAllAnnotations(d.annotations())
        .build();
  }

  public static Descriptor descriptor(io.rpull.containerd.api.types.Descriptor d) {
    return new Descriptor(d.getMediaType(), Digest.parse(d.getDigest()), d.getSize(), d.getAnnotationsMap(),
        java.util.Optional.empty());
  }
}
