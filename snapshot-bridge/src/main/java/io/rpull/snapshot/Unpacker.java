package io.rpull.snapshot;

import io.rpull.containerd.ContainerdException;
import io.rpull.containerd.ContentStore;
import io.rpull.containerd.Leases;
import io.rpull.types.Descriptor;
import io.rpull.types.Digest;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Registers an image's layers as snapshots named by chain ID, bottom layer first, the way
 * containerd's unpacker does (side by side when the snapshotter can rebase), except for native
 * overlaybd layers in download mode: there the committed blob is placed as the layer's
 * {@code overlaybd.commit} and no Diff.Apply runs.
 */
public final class Unpacker {
  /** The label containerd's unpacker puts on a layer blob once its uncompressed digest is known. */
  public static final String UNCOMPRESSED = "containerd.io/uncompressed";
  /** Attempts at Prepare while a concurrent unpack makes the chain ID appear and vanish, as containerd makes. */
  static final int PREPARE_ATTEMPTS = 3;
  /** Layers applied at once when the snapshotter can rebase (the peer benchmark's max_concurrent_unpacks). */
  static final int UNPACKS_AT_ONCE = 4;
  /** How long a failed side-by-side unpack waits for its other layers to stop and clean up. */
  private static final long STOP_GRACE_SECONDS = 30;

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
    List<LayerResult> results = layers.size() > 1 && snapshots.canRebase()
        ? unpackSideBySide(layers, chain, imageRef, downloadBlobs, blobs, events)
        : unpackInOrder(layers, chain, imageRef, downloadBlobs, blobs, events);
    return new Result(chain.isEmpty() ? Optional.empty() : Optional.of(chain.get(chain.size() - 1)),
        List.copyOf(results));
  }

  private List<LayerResult> unpackInOrder(List<Layer> layers, List<Digest> chain, String imageRef,
      boolean downloadBlobs, BlobWaiter blobs, Events events) throws IOException {
    List<LayerResult> results = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      results.add(unpackOne(layers, chain, i, false, imageRef, downloadBlobs, blobs, events, () -> {}));
    }
    return results;
  }

  /**
   * containerd's parallel unpack (2.2+), for a snapshotter that can rebase: every layer is prepared
   * without a parent and applied as soon as its blob is in, up to {@link #UNPACKS_AT_ONCE} at a time,
   * then committed onto the layer below once that one is committed, so the chain is still built
   * bottom up and a failure leaves nothing above the last committed layer.
   */
  private List<LayerResult> unpackSideBySide(List<Layer> layers, List<Digest> chain, String imageRef,
      boolean downloadBlobs, BlobWaiter blobs, Events events) throws IOException {
    ExecutorService workers = Executors.newFixedThreadPool(Math.min(UNPACKS_AT_ONCE, layers.size()), r -> {
      Thread t = new Thread(r, "rpull-unpack");
      t.setDaemon(true);
      return t;
    });
    List<CompletableFuture<LayerResult>> done = new ArrayList<>();
    try {
      for (int i = 0; i < layers.size(); i++) {
        int index = i;
        CompletableFuture<LayerResult> below = index == 0 ? CompletableFuture.completedFuture(null)
            : done.get(index - 1);
        done.add(CompletableFuture.supplyAsync(() -> {
          try {
            return unpackOne(layers, chain, index, index > 0, imageRef, downloadBlobs, blobs, events,
                () -> awaitBelow(below));
          } catch (IOException e) {
            throw new CompletionException(e);
          }
        }, workers));
      }
      List<LayerResult> results = new ArrayList<>();
      for (CompletableFuture<LayerResult> f : done) {
        results.add(join(f));
      }
      return results;
    } finally {
      // On a failure the layers still running stop (their snapshots are removed) before the pull reports it.
      workers.shutdownNow();
      try {
        workers.awaitTermination(STOP_GRACE_SECONDS, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Waits until the layer below is committed; its failure is the whole unpack's and is reported there. */
  private static void awaitBelow(CompletableFuture<LayerResult> below) throws IOException {
    try {
      below.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for the layer below");
    } catch (ExecutionException | CancellationException e) {
      throw new BelowFailed();
    }
  }

  /** The layer below failed: this one stops without a failure of its own. */
  private static final class BelowFailed extends IOException {
    BelowFailed() {
      super("the layer below was not unpacked");
    }
  }

  private static LayerResult join(CompletableFuture<LayerResult> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while unpacking");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause()
          : e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new IOException(cause);
    }
  }

  private LayerResult unpackOne(List<Layer> layers, List<Digest> chain, int i, boolean rebase, String imageRef,
      boolean downloadBlobs, BlobWaiter blobs, Events events, BelowCommitted below) throws IOException {
    String parent = i == 0 ? "" : chain.get(i - 1).toString();
    Outcome outcome;
    try (SnapshotLocks.Held held = locks.lock(snapshots.name(), chain.get(i))) {
      outcome = unpackLayer(layers.get(i), chain.get(i).toString(), parent, rebase, imageRef, downloadBlobs, blobs,
          events, below);
    }
    LayerResult result = new LayerResult(layers.get(i), chain.get(i), outcome);
    events.done(result);
    return result;
  }

  /** Blocks until the layer below this one is a committed snapshot. */
  @FunctionalInterface
  private interface BelowCommitted {
    void await() throws IOException;
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

  /**
   * @param rebase prepare without a parent and commit onto {@code parent} (side-by-side unpack)
   * @param below waited for before the commit
   */
  private Outcome unpackLayer(Layer layer, String chainId, String parent, boolean rebase, String imageRef,
      boolean downloadBlobs, BlobWaiter blobs, Events events, BelowCommitted below) throws IOException {
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
        mounts = snapshots.prepare(key, rebase ? "" : parent, labels);
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
        apply(layer, rebase ? Mount.upperOnly(mounts) : mounts);
        outcome = Outcome.APPLIED;
      }
      // Written right after the step that verified it: the blob uncompresses to this diffID.
      content.setLabels(layer.blob().digest(), Map.of(UNCOMPRESSED, layer.diffId().toString()));
      below.await();
      try {
        if (rebase) {
          snapshots.commitOnto(chainId, key, parent, labels);
        } else {
          snapshots.commit(chainId, key, labels);
        }
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
