package io.rpull.containerd;

import com.google.protobuf.FieldMask;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.rpull.containerd.api.content.Info;
import io.rpull.containerd.api.content.InfoRequest;
import io.rpull.containerd.api.content.ReadContentRequest;
import io.rpull.containerd.api.content.UpdateRequest;
import io.rpull.containerd.api.introspection.Plugin;
import io.rpull.containerd.api.introspection.PluginsRequest;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** Reads and labels committed content, and finds where the content store keeps blob files. */
public final class ContentStore {
  private final ContainerdSession session;

  public ContentStore(ContainerdSession session) {
    this.session = session;
  }

  /** The blob's info in this namespace, or empty if it is not there. */
  public Optional<Info> info(String digest) {
    try {
      return Optional.of(session.content().info(InfoRequest.newBuilder().setDigest(digest).build()).getInfo());
    } catch (StatusRuntimeException e) {
      if (ContainerdException.is(e, Status.Code.NOT_FOUND)) {
        return Optional.empty();
      }
      throw ContainerdException.of("content info " + digest, e);
    }
  }

  /**
   * Reads a whole committed blob of at most {@code maxBytes}, or empty if it is not in this
   * namespace. The caller verifies the digest: reads are not re-hashed by containerd.
   */
  public Optional<byte[]> read(String digest, long maxBytes) {
    Optional<Info> info = info(digest);
    if (info.isEmpty() || info.get().getSize() > maxBytes) {
      return Optional.empty();
    }
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream((int) info.get().getSize());
    try {
      session.content().read(ReadContentRequest.newBuilder().setDigest(digest).build())
          .forEachRemaining(chunk -> out.writeBytes(chunk.getData().toByteArray()));
    } catch (StatusRuntimeException e) {
      if (ContainerdException.is(e, Status.Code.NOT_FOUND)) {
        return Optional.empty();
      }
      throw ContainerdException.of("read content " + digest, e);
    }
    return Optional.of(out.toByteArray());
  }

  /**
   * Sets labels on a committed blob, one field-mask path per key so that other labels stay. This is
   * how the Go client labels content; labels in the COMMIT would not apply to blobs that existed.
   */
  public void setLabels(String digest, Map<String, String> labels) {
    if (labels.isEmpty()) {
      return;
    }
    Info.Builder info = Info.newBuilder().setDigest(digest).putAllLabels(labels);
    FieldMask.Builder mask = FieldMask.newBuilder();
    labels.keySet().forEach(k -> mask.addPaths("labels." + k));
    try {
      session.content().update(UpdateRequest.newBuilder().setInfo(info).setUpdateMask(mask).build());
    } catch (StatusRuntimeException e) {
      throw ContainerdException.of("label content " + digest, e);
    }
  }

  /**
   * The directory of the local content store, as its plugin exports it ({@code root}). Blob files
   * live at {@code <root>/blobs/sha256/<hex>}.
   */
  public Path root() {
    try {
      for (Plugin p : session.introspection()
          .plugins(PluginsRequest.newBuilder().addFilters("type==io.containerd.content.v1").build())
          .getPluginsList()) {
        String root = p.getExportsMap().get("root");
        if (root != null && !root.isEmpty()) {
          return Path.of(root);
        }
      }
    } catch (StatusRuntimeException e) {
      throw ContainerdException.of("introspect content plugin", e);
    }
    throw new ContainerdException(ContainerdException.Kind.OTHER,
        "containerd's content plugin exports no root directory; cannot place blobs locally", null);
  }

  public static Path blobPath(Path root, BlobRef blob) {
    return root.resolve("blobs").resolve("sha256").resolve(blob.hex());
  }
}
