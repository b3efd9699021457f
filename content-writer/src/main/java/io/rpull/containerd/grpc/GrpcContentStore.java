package io.rpull.containerd.grpc;

import com.google.common.base.Suppliers;
import com.google.protobuf.FieldMask;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.rpull.containerd.BlobKind;
import io.rpull.containerd.BlobSource;
import io.rpull.containerd.ContainerdException;
import io.rpull.containerd.ContentInfo;
import io.rpull.containerd.ContentStore;
import io.rpull.containerd.IngestResult;
import io.rpull.containerd.api.content.Info;
import io.rpull.containerd.api.content.InfoRequest;
import io.rpull.containerd.api.content.ReadContentRequest;
import io.rpull.containerd.api.content.UpdateRequest;
import io.rpull.containerd.api.introspection.Plugin;
import io.rpull.containerd.api.introspection.PluginsRequest;
import io.rpull.types.Descriptor;
import io.rpull.types.Digest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** containerd's content store over gRPC: reads, labels, and ingests through {@link BlobIngester}. */
public final class GrpcContentStore implements ContentStore {
  private final GrpcSession session;
  private final BlobIngester ingester;
  private final Supplier<Path> root;

  /** @param messageBytes bytes per Content.Write message */
  public GrpcContentStore(GrpcSession session, int messageBytes) {
    this.session = session;
    this.ingester = new BlobIngester(session, messageBytes);
    this.root = Suppliers.memoize(this::findRoot);
  }

  @Override
  public Optional<ContentInfo> info(Digest digest) {
    try {
      var info = session.content().info(InfoRequest.newBuilder().setDigest(digest.toString()).build()).getInfo();
      return Optional.of(new ContentInfo(digest, info.getSize(), info.getLabelsMap()));
    } catch (StatusRuntimeException e) {
      if (GrpcErrors.is(e, Status.Code.NOT_FOUND)) {
        return Optional.empty();
      }
      throw GrpcErrors.of("content info " + digest, e);
    }
  }

  @Override
  public Optional<byte[]> read(Digest digest, long maxBytes) {
    Optional<ContentInfo> info = info(digest);
    if (info.isEmpty() || info.get().size() > maxBytes) {
      return Optional.empty();
    }
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream((int) info.get().size());
    try {
      session.content().read(ReadContentRequest.newBuilder().setDigest(digest.toString()).build())
          .forEachRemaining(chunk -> out.writeBytes(chunk.getData().toByteArray()));
    } catch (StatusRuntimeException e) {
      if (GrpcErrors.is(e, Status.Code.NOT_FOUND)) {
        return Optional.empty();
      }
      throw GrpcErrors.of("read content " + digest, e);
    }
    return Optional.of(out.toByteArray());
  }

  @Override
  public IngestResult ingest(BlobKind kind, Descriptor blob, BlobSource source) throws IOException {
    return ingester.ingest(kind, blob, source);
  }

  /**
   * One field-mask path per key, so that other labels stay. This is how the Go client labels
   * content; labels in the COMMIT would not apply to blobs that existed.
   */
  @Override
  public void setLabels(Digest digest, Map<String, String> labels) {
    if (labels.isEmpty()) {
      return;
    }
    Info.Builder info = Info.newBuilder().setDigest(digest.toString()).putAllLabels(labels);
    FieldMask.Builder mask = FieldMask.newBuilder();
    labels.keySet().forEach(k -> mask.addPaths("labels." + k));
    try {
      session.content().update(UpdateRequest.newBuilder().setInfo(info).setUpdateMask(mask).build());
    } catch (StatusRuntimeException e) {
      throw GrpcErrors.of("label content " + digest, e);
    }
  }

  /** {@code <root>/blobs/sha256/<hex>}, where root is what the content plugin exports. */
  @Override
  public Path blobFile(Digest digest) {
    return root.get().resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
  }

  private Path findRoot() {
    try {
      for (Plugin p : session.introspection()
          .plugins(PluginsRequest.newBuilder().addFilters("type==io.containerd.content.v1").build())
          .getPluginsList()) {
        String dir = p.getExportsMap().get("root");
        if (dir != null && !dir.isEmpty()) {
          return Path.of(dir);
        }
      }
    } catch (StatusRuntimeException e) {
      throw GrpcErrors.of("introspect content plugin", e);
    }
    throw new ContainerdException(ContainerdException.Code.OTHER,
        "containerd's content plugin exports no root directory; cannot place blobs locally", null);
  }
}
