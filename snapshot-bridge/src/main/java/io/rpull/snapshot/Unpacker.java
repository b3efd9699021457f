package io.rpull.snapshot;

import io.rpull.containerd.ContainerdException;
import io.rpull.containerd.ContentStore;
import io.rpull.containerd.Leases;
import io.rpull.types.Descriptor;
import io.rpull.types.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Registers an image's layers as snapshots named by chain ID, bottom layer first, the way
 * containerd's unpacker does, except for native overlaybd layers in download mode: there the
 * committed blob is placed as the layer's {@code overlaybd.commit} and no Diff.Apply runs.
 */
public final class Unpacker {
  /** The label containerd's unpacker puts on a layer blob once its uncompressed digest is known. */
  public static final String UNCOMPRESSED = "containerd.io/uncompressed";
  /** Attempts at Prepare while a concurrent unpack makes the chain ID appear and vanish, as containerd makes. */
  static final int PREPARE_ATTEMPTS = 3;

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
  public record LayerResult(Layer layer, Digest chainId, Outcome outcome) {}

  /** The result of a whole image. */
  public record Result(Optional<Digest> topChainId, List<LayerResult> layers) {
    public int count(Outcome outcome) {
      return (int) layers.stream().filter(r -> r.outcome() == outcome).count();
    }
  }

  /** Told what each layer is doing. */
  public interface Events {
    /** The layer's blob is committed and is being placed or applied, then committed as a snapshot. */
    default void committing(Layer layer) {}

    default void done(LayerResult result) {}
  }

  private final ContainerdNamespace containerd;
  private final Snapshotter snapshots;
  private final ContentStore content;
  private final BlobPlacer placer;
  private final SnapshotLocks locks;
  private final SecureRandom random = new SecureRandom();

  public Unpacker(ContainerdNamespace containerd, String snapshotter, BlobPlacer placer) {
    this(containerd, snapshotter, placer, SnapshotLocks.none());
  }

  /** @param locks shared with the other pulls of this process into the same namespace */
  public Unpacker(ContainerdNamespace containerd, String snapshotter, BlobPlacer placer, SnapshotLocks locks) {
    this.containerd = containerd;
    this.snapshots = containerd.snapshotter(snapshotter);
    this.content = containerd.content();
    this.placer = placer;
    this.locks = locks;
  }

  /**
   * Whether every layer is already a committed snapshot, and, for a full pull, every overlaybd layer
   * was made local (not merely registered for lazy loading). Reads only; leases nothing.
   */
  public boolean alreadyUnpacked(List<Layer> layers, boolean downloadBlobs) {
    List<Digest> chain = chainOf(layers);
    for (int i = 0; i < layers.size(); i++) {
      Optional<SnapshotInfo> info = snapshots.stat(chain.get(i).toString());
      if (info.isEmpty() || info.get().kind() != SnapshotInfo.Kind.COMMITTED) {
        return false;
      }
      if (downloadBlobs && isRemote(layers.get(i), info.get())) {
        return false;
      }
    }
    return true;
  }

  /** An overlaybd layer that the snapshotter loads lazily from the registry: its blob is not on the node. */
  private static boolean isRemote(Layer layer, SnapshotInfo info) {
    return layer.isOverlaybd() && info.labels().containsKey(OverlaybdLabels.REMOTE);
  }

  public Result unpack(List<Layer> layers, String imageRef, boolean downloadBlobs, BlobWaiter blobs, Events events)
      throws IOException {
    List<Digest> chain = chainOf(layers);
    if (downloadBlobs) {
      replaceRemoteLayers(layers, chain);
    }
    List<LayerResult> results = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      String parent = i == 0 ? "" : chain.get(i - 1).toString();
      Outcome outcome;
      try (SnapshotLocks.Held held = locks.lock(snapshots.name(), chain.get(i))) {
        outcome = unpackLayer(layers.get(i), chain.get(i).toString(), parent, imageRef, downloadBlobs, blobs, events);
      }
      LayerResult result = new LayerResult(layers.get(i), chain.get(i), outcome);
      events.done(result);
      results.add(result);
    }
    return new Result(chain.isEmpty() ? Optional.empty() : Optional.of(chain.get(chain.size() - 1)),
        List.copyOf(results));
  }

  /**
   * A full pull leaves every layer local, whatever registered it before. The overlaybd snapshotter
   * has no way to turn a lazily registered layer into a local one (the snapshot's directory is its
   * own), so from the lowest remote layer up, this image's snapshots are removed, top first, and
   * the unpack then places them in download mode under the same chain IDs. A snapshot something
   * else still builds on (a container, another image's layer) cannot be removed: then the pull
   * fails naming the layer, and nothing is changed below it.
   */
  private void replaceRemoteLayers(List<Layer> layers, List<Digest> chain) throws IOException {
    int lowest = -1;
    for (int i = 0; i < layers.size() && lowest < 0; i++) {
      Optional<SnapshotInfo> info = snapshots.stat(chain.get(i).toString());
      if (info.isPresent() && isRemote(layers.get(i), info.get())) {
        lowest = i;
      }
    }
    for (int i = layers.size() - 1; lowest >= 0 && i >= lowest; i--) {
      String chainId = chain.get(i).toString();
      try (SnapshotLocks.Held held = locks.lock(snapshots.name(), chain.get(i))) {
        if (snapshots.stat(chainId).isEmpty()) {
          continue;
        }
        snapshots.remove(chainId);
      } catch (ContainerdException e) {
        if (e.is(ContainerdException.Code.NOT_FOUND)) {
          continue;
        }
        throw new ContainerdException(ContainerdException.Code.FAILED_PRECONDITION, "layer "
            + layers.get(i).blob().digest() + " is registered for lazy loading (a remote overlaybd snapshot) and"
            + " cannot be made local: snapshot " + chainId + " is in use (a container, or another image built on it);"
            + " remove what uses it, or pull into another namespace", e);
      }
    }
  }

  private static List<Digest> chainOf(List<Layer> layers) {
    return ChainIds.of(layers.stream().map(Layer::diffId).toList());
  }

  private Outcome unpackLayer(Layer layer, String chainId, String parent, String imageRef, boolean downloadBlobs,
      BlobWaiter blobs, Events events) throws IOException {
    // Lease the name before looking: containerd before 1.6.32 does not lease an existing snapshot
    // on ALREADY_EXISTS, and an unleased Stat-then-skip races with garbage collection.
    containerd.leaseId().ifPresent(id ->
        containerd.leases().addResource(id, "snapshots/" + snapshots.name(), chainId));
    if (snapshots.stat(chainId).isPresent()) {
      return Outcome.EXISTED;
    }
    boolean placeBlob = downloadBlobs && layer.isOverlaybd();
    Map<String, String> labels = OverlaybdLabels.forLayer(layer, chainId, parent, imageRef, placeBlob);
    String key = null;
    List<Mount> mounts = null;
    for (int attempt = 1; mounts == null; attempt++) {
      key = "extract-" + System.nanoTime() + "-" + nonce() + " " + chainId;
      try {
        mounts = snapshots.prepare(key, parent, labels);
      } catch (ContainerdException e) {
        if (!e.is(ContainerdException.Code.ALREADY_EXISTS)) {
          throw e;
        }
        if (snapshots.stat(chainId).isPresent()) {
          // A remote (lazy) overlaybd layer, or a concurrent unpack that got there first.
          return layer.isOverlaybd() ? Outcome.REMOTE : Outcome.EXISTED;
        }
        // The chain ID existed when Prepare looked and is gone now (a concurrent unpack removed
        // its failed attempt): try again, as containerd's unpacker does.
        if (attempt >= PREPARE_ATTEMPTS) {
          throw new ContainerdException(ContainerdException.Code.ALREADY_EXISTS, "prepare " + chainId
              + ": the snapshotter kept answering 'already exists' for a snapshot that is not there", e);
        }
      }
    }
    boolean committed = false;
    try {
      blobs.awaitCommitted(layer);
      events.committing(layer);
      Outcome outcome;
      if (placeBlob) {
        placeOverlaybdBlob(layer, mounts);
        outcome = Outcome.PLACED;
      } else {
        apply(layer, mounts);
        outcome = Outcome.APPLIED;
      }
      // Written right after the step that verified it: the blob uncompresses to this diffID.
      content.setLabels(layer.blob().digest(), Map.of(UNCOMPRESSED, layer.diffId().toString()));
      try {
        snapshots.commit(chainId, key, labels);
        committed = true;
        return outcome;
      } catch (ContainerdException e) {
        if (!e.is(ContainerdException.Code.ALREADY_EXISTS)) {
          throw e;
        }
        return Outcome.EXISTED; // someone else committed this chain ID first
      }
    } finally {
      if (!committed) {
        removeQuietly(key);
      }
    }
  }

  private void removeQuietly(String key) {
    try {
      snapshots.remove(key);
    } catch (ContainerdException e) {
      // Nothing more to do: the key is under our expiring lease and GC will take it.
    }
  }

  private void placeOverlaybdBlob(Layer layer, List<Mount> mounts) throws IOException {
    if (mounts.size() != 1 || !mounts.get(0).type().equals("bind")) {
      throw new ContainerdException(ContainerdException.Code.OTHER,
          "snapshotter " + snapshots.name() + " did not return the bind mount of an overlaybd download"
              + " layer for " + layer.blob().digest() + " (got " + describe(mounts) + "); is it overlaybd?", null);
    }
    Path fsDir = Path.of(mounts.get(0).source());
    if (!Files.isDirectory(fsDir)) {
      throw new IOException("overlaybd layer directory " + fsDir + " is not reachable from here;"
          + " rpull must run on the node, as root, like ctr rpull");
    }
    placer.place(content.blobFile(layer.blob().digest()), layer.blob(), fsDir);
  }

  private void apply(Layer layer, List<Mount> mounts) {
    Descriptor applied = containerd.applier().apply(layer.blob(), mounts);
    if (!applied.digest().equals(layer.diffId())) {
      throw ContainerdException.verification("apply layer " + layer.blob().digest() + ": uncompressed digest "
          + applied.digest() + " does not match the config's diffID " + layer.diffId(), null);
    }
  }

  private String nonce() {
    byte[] b = new byte[3];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static String describe(List<Mount> mounts) {
    return mounts.stream().map(m -> m.type() + ":" + m.source()).toList().toString();
  }
}
