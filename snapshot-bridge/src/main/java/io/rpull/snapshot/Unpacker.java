package io.rpull.snapshot;

import io.grpc.StatusRuntimeException;
import io.rpull.containerd.ContainerdException;
import io.rpull.containerd.ContainerdSession;
import io.rpull.containerd.ContentStore;
import io.rpull.containerd.Leases;
import io.rpull.containerd.api.diff.ApplyRequest;
import io.rpull.containerd.api.types.Descriptor;
import io.rpull.containerd.api.types.Mount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Registers an image's layers as snapshots named by chain ID, bottom layer first, the way
 * containerd's unpacker does, except for native overlaybd layers in download mode: there the
 * committed blob is placed as the layer's {@code overlaybd.commit} and no Diff.Apply runs.
 */
public final class Unpacker {
  /** What happened to one layer. */
  public enum Outcome {
    /** The snapshot was already committed in this namespace. */
    EXISTED,
    /** The snapshotter registered the layer itself as a remote (lazily loaded) overlaybd layer. */
    REMOTE,
    /** The blob was placed as overlaybd.commit, no untar. */
    PLACED,
    /** The layer was applied with Diff.Apply and its diffID verified. */
    APPLIED
  }

  /** The result of one layer. */
  public record LayerResult(Layer layer, String chainId, Outcome outcome) {}

  /** The result of a whole image. */
  public record Result(String topChainId, List<LayerResult> layers) {}

  private final ContainerdSession session;
  private final Snapshots snapshots;
  private final Leases leases;
  private final BlobPlacer placer;
  private final Supplier<Path> contentRoot;
  private final SecureRandom random = new SecureRandom();

  public Unpacker(ContainerdSession session, String snapshotter, Leases leases, BlobPlacer placer,
      Supplier<Path> contentRoot) {
    this.session = session;
    this.snapshots = new Snapshots(session, snapshotter);
    this.leases = leases;
    this.placer = placer;
    this.contentRoot = contentRoot;
  }

  /**
   * Whether every layer is already a committed snapshot, and, for a full pull, every overlaybd layer
   * was made local (not merely registered for lazy loading). Reads only; leases nothing.
   */
  public boolean alreadyUnpacked(List<Layer> layers, boolean downloadBlobs) {
    List<String> chain = ChainIds.of(layers.stream().map(Layer::diffId).toList());
    for (int i = 0; i < layers.size(); i++) {
      var info = snapshots.stat(chain.get(i));
      if (info.isEmpty() || info.get().getKind() != io.rpull.containerd.api.snapshots.Kind.COMMITTED) {
        return false;
      }
      if (downloadBlobs && layers.get(i).isOverlaybd()
          && !OverlaybdLabels.DOWNLOAD_VALUE.equals(info.get().getLabelsMap().get(OverlaybdLabels.DOWNLOAD))) {
        return false;
      }
    }
    return true;
  }

  public Result unpack(List<Layer> layers, String imageRef, boolean downloadBlobs, BlobWaiter blobs)
      throws IOException {
    List<String> chain = ChainIds.of(layers.stream().map(Layer::diffId).toList());
    List<LayerResult> results = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      String parent = i == 0 ? "" : chain.get(i - 1);
      results.add(new LayerResult(layers.get(i), chain.get(i),
          unpackLayer(layers.get(i), chain.get(i), parent, imageRef, downloadBlobs, blobs)));
    }
    return new Result(chain.isEmpty() ? "" : chain.get(chain.size() - 1), List.copyOf(results));
  }

  private Outcome unpackLayer(Layer layer, String chainId, String parent, String imageRef, boolean downloadBlobs,
      BlobWaiter blobs) throws IOException {
    // Lease the name before looking: containerd before 1.6.32 does not lease an existing snapshot
    // on ALREADY_EXISTS, and an unleased Stat-then-skip races with garbage collection.
    session.leaseId().ifPresent(id -> leases.addResource(id, "snapshots/" + snapshots.snapshotter(), chainId));
    if (snapshots.stat(chainId).isPresent()) {
      return Outcome.EXISTED;
    }
    boolean placeBlob = downloadBlobs && layer.isOverlaybd();
    Map<String, String> labels = OverlaybdLabels.forLayer(layer, chainId, parent, imageRef, placeBlob);
    String key = "extract-" + System.nanoTime() + "-" + nonce() + " " + chainId;
    Optional<List<Mount>> mounts = snapshots.prepare(key, parent, labels);
    if (mounts.isEmpty()) {
      if (snapshots.stat(chainId).isEmpty()) {
        throw new ContainerdException(ContainerdException.Kind.OTHER,
            "prepare " + chainId + ": snapshotter answered 'already exists' but the snapshot is not there", null);
      }
      return layer.isOverlaybd() ? Outcome.REMOTE : Outcome.EXISTED;
    }
    boolean committed = false;
    try {
      blobs.awaitCommitted(layer);
      Outcome outcome;
      if (placeBlob) {
        placeOverlaybdBlob(layer, mounts.get());
        outcome = Outcome.PLACED;
      } else {
        apply(layer, mounts.get());
        outcome = Outcome.APPLIED;
      }
      committed = snapshots.commit(chainId, key, labels);
      return committed ? outcome : Outcome.EXISTED;
    } finally {
      if (!committed) {
        snapshots.removeQuietly(key);
      }
    }
  }

  private void placeOverlaybdBlob(Layer layer, List<Mount> mounts) throws IOException {
    if (mounts.size() != 1 || !mounts.get(0).getType().equals("bind")) {
      throw new ContainerdException(ContainerdException.Kind.OTHER,
          "snapshotter " + snapshots.snapshotter() + " did not return the bind mount of an overlaybd download"
              + " layer for " + layer.blob().digest() + " (got " + describe(mounts) + "); is it overlaybd?", null);
    }
    Path fsDir = Path.of(mounts.get(0).getSource());
    if (!Files.isDirectory(fsDir)) {
      throw new IOException("overlaybd layer directory " + fsDir + " is not reachable from here;"
          + " rpull must run on the node, as root, like ctr rpull");
    }
    Path blobFile = ContentStore.blobPath(contentRoot.get(), layer.blob());
    placer.place(blobFile, layer.blob(), fsDir);
  }

  private void apply(Layer layer, List<Mount> mounts) {
    Descriptor diff = Descriptor.newBuilder()
        .setMediaType(layer.mediaType())
        .setDigest(layer.blob().digest())
        .setSize(layer.blob().size())
        .build();
    String applied;
    try {
      applied = session.diff().apply(ApplyRequest.newBuilder().setDiff(diff).addAllMounts(mounts).build())
          .getApplied().getDigest();
    } catch (StatusRuntimeException e) {
      throw ContainerdException.of("apply layer " + layer.blob().digest(), e);
    }
    if (!applied.equals(layer.diffId())) {
      throw new ContainerdException(ContainerdException.Kind.VERIFICATION,
          "apply layer " + layer.blob().digest() + ": uncompressed digest " + applied
              + " does not match the config's diffID " + layer.diffId(), null);
    }
  }

  private String nonce() {
    byte[] b = new byte[3];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static String describe(List<Mount> mounts) {
    return mounts.stream().map(m -> m.getType() + ":" + m.getSource()).toList().toString();
  }
}
