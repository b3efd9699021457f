package io.rpull.engine;

import io.rpull.containerd.BlobKind;
import io.rpull.containerd.BlobSource;
import io.rpull.containerd.ContainerdException;
import io.rpull.containerd.ContentInfo;
import io.rpull.containerd.ContentStore;
import io.rpull.containerd.ImageRecord;
import io.rpull.containerd.ImageStore;
import io.rpull.containerd.IngestResult;
import io.rpull.containerd.Leases;
import io.rpull.snapshot.Applier;
import io.rpull.snapshot.ContainerdNamespace;
import io.rpull.snapshot.Mount;
import io.rpull.snapshot.OverlaybdLabels;
import io.rpull.snapshot.SnapshotInfo;
import io.rpull.snapshot.Snapshotter;
import io.rpull.types.Descriptor;
import io.rpull.types.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One containerd namespace in memory, behaving as the real one does where the engine depends on
 * it: content verified at commit, ALREADY_EXISTS for existing snapshots and for overlaybd layers
 * registered remotely, leases, and blob files on disk so that placement can link them. Everything
 * the engine does is appended to {@link #log}, in order.
 */
final class FakeContainerd implements ContainerdNamespace {
  final Path root;
  final List<String> log = Collections.synchronizedList(new ArrayList<>());
  final Map<Digest, byte[]> content = Collections.synchronizedMap(new HashMap<>());
  final Map<Digest, Map<String, String>> contentLabels = Collections.synchronizedMap(new HashMap<>());
  final Map<String, ImageRecord> images = Collections.synchronizedMap(new LinkedHashMap<>());
  final Map<String, SnapshotInfo> snapshots = Collections.synchronizedMap(new LinkedHashMap<>());
  final Map<String, List<String>> leases = Collections.synchronizedMap(new LinkedHashMap<>());
  final Map<String, String> leaseExpiry = Collections.synchronizedMap(new LinkedHashMap<>());
  final Map<String, Map<String, String>> leaseLabels = Collections.synchronizedMap(new LinkedHashMap<>());
  /** What Diff.Apply reports as the uncompressed digest of a layer blob. */
  final Map<Digest, Digest> diffIds = Collections.synchronizedMap(new HashMap<>());
  /** Prepare answers ALREADY_EXISTS this many times for a snapshot that Stat then does not find. */
  final AtomicInteger vanishingPrepares = new AtomicInteger();
  /** Whether the snapshotters declare containerd's "rebase" capability (overlayfs on 2.2+). */
  volatile boolean rebase;
  private final AtomicInteger ids = new AtomicInteger();

  FakeContainerd(Path root) {
    this.root = root;
  }

  @Override
  public String name() {
    return "default";
  }

  @Override
  public ContentStore content() {
    return new Content();
  }

  @Override
  public ImageStore images() {
    return new ImageStore() {
      @Override
      public Optional<ImageRecord> get(String name) {
        return Optional.ofNullable(images.get(name));
      }

      @Override
      public void put(ImageRecord record) {
        log.add("image " + record.name());
        images.put(record.name(), record);
      }
    };
  }

  @Override
  public Leases leases() {
    return new Leases() {
      @Override
      public String create(Duration expiry, Map<String, String> labels) {
        String id = "lease-" + ids.incrementAndGet();
        leases.put(id, Collections.synchronizedList(new ArrayList<>()));
        leaseLabels.put(id, labels);
        leaseExpiry.put(id, expiry.toString());
        log.add("lease create " + id);
        return id;
      }

      @Override
      public void delete(String id) {
        log.add("lease delete " + id);
        leases.remove(id);
        leaseLabels.remove(id);
        leaseExpiry.remove(id);
      }

      @Override
      public void addResource(String leaseId, String type, String resourceId) {
        leases.get(leaseId).add(type + " " + resourceId);
      }

      @Override
      public List<Leases.Lease> withLabel(String key, String value) {
        return leaseLabels.entrySet().stream().filter(e -> leases.containsKey(e.getKey()))
            .filter(e -> value.equals(e.getValue().get(key)))
            .map(e -> new Leases.Lease(e.getKey(), e.getValue())).toList();
      }

      @Override
      public List<Leases.Resource> resources(String id) {
        return leases.get(id).stream().map(r -> r.split(" ", 2)).map(r -> new Leases.Resource(r[0], r[1])).toList();
      }
    };
  }

  @Override
  public Snapshotter snapshotter(String name) {
    return new Snapshots(name);
  }

  @Override
  public Applier applier() {
    return (layer, mounts) -> {
      log.add("apply " + layer.digest());
      return Descriptor.of("application/vnd.oci.image.layer.v1.tar", diffIds.get(layer.digest()), 1);
    };
  }

  @Override
  public ContainerdNamespace withLease(String leaseId) {
    return this;
  }

  @Override
  public Optional<String> leaseId() {
    return leases.keySet().stream().reduce((a, b) -> b);
  }

  Path blobFile(Digest digest) {
    return root.resolve("blobs").resolve(digest.hex());
  }

  /** Content the test says is already there, as committed by an earlier pull. */
  void preload(Descriptor blob, byte[] bytes) {
    content.put(blob.digest(), bytes);
    writeFile(blob.digest(), bytes);
  }

  private void writeFile(Digest digest, byte[] bytes) {
    try {
      Files.createDirectories(root.resolve("blobs"));
      Files.write(blobFile(digest), bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private final class Content implements ContentStore {
    @Override
    public Optional<ContentInfo> info(Digest digest) {
      byte[] bytes = content.get(digest);
      return bytes == null ? Optional.empty()
          : Optional.of(new ContentInfo(digest, bytes.length, contentLabels.getOrDefault(digest, Map.of())));
    }

    @Override
    public Optional<byte[]> read(Digest digest, long maxBytes) {
      return Optional.ofNullable(content.get(digest)).filter(b -> b.length <= maxBytes);
    }

    @Override
    public IngestResult ingest(BlobKind kind, Descriptor blob, BlobSource source) throws IOException {
      if (content.containsKey(blob.digest())) {
        log.add("ingest " + kind.ingestRef(blob.digest()) + " present");
        leaseId().ifPresent(l -> leases.get(l).add("content " + blob.digest()));
        return new IngestResult(true, 0, 0);
      }
      byte[] bytes;
      try (InputStream in = source.open(0)) {
        bytes = in.readAllBytes();
      }
      if (bytes.length != blob.size() || !Digest.sha256Of(bytes).equals(blob.digest())) {
        throw ContainerdException.verification("commit " + blob.digest() + ": content does not match", null);
      }
      log.add("ingest " + kind.ingestRef(blob.digest()));
      content.put(blob.digest(), bytes);
      writeFile(blob.digest(), bytes);
      return new IngestResult(false, bytes.length, 0);
    }

    @Override
    public void setLabels(Digest digest, Map<String, String> labels) {
      if (!content.containsKey(digest)) {
        throw new ContainerdException(ContainerdException.Code.NOT_FOUND, "label content " + digest + ": not found",
            null);
      }
      labels.keySet().stream().sorted().forEach(k -> log.add("label " + digest + " " + k));
      contentLabels.computeIfAbsent(digest, d -> Collections.synchronizedMap(new LinkedHashMap<>())).putAll(labels);
    }

    @Override
    public Path blobFile(Digest digest) {
      return FakeContainerd.this.blobFile(digest);
    }
  }

  private final class Snapshots implements Snapshotter {
    private final String name;

    Snapshots(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Optional<SnapshotInfo> stat(String key) {
      return Optional.ofNullable(snapshots.get(key));
    }

    @Override
    public List<Mount> prepare(String key, String parent, Map<String, String> labels) {
      String chainId = labels.get(OverlaybdLabels.SNAPSHOT_REF);
      log.add("prepare " + chainId);
      if (vanishingPrepares.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw exists(key);
      }
      if (chainId != null && snapshots.containsKey(chainId)) {
        throw exists(key);
      }
      if (labels.containsKey(OverlaybdLabels.BLOB_DIGEST) && !labels.containsKey(OverlaybdLabels.DOWNLOAD)) {
        // What overlaybd-snapshotter does with a remote layer: it commits it itself, marked remote (a
        // label containerd copies into its record), and says "exists".
        Map<String, String> remote = new java.util.HashMap<>(labels);
        remote.put(OverlaybdLabels.REMOTE, "remote snapshot");
        snapshots.put(chainId, new SnapshotInfo(chainId, parent, SnapshotInfo.Kind.COMMITTED, remote));
        throw exists(key);
      }
      snapshots.put(key, new SnapshotInfo(key, parent, SnapshotInfo.Kind.ACTIVE, labels));
      return mounts(key);
    }

    @Override
    public List<Mount> mounts(String key) {
      SnapshotInfo info = snapshots.get(key);
      if (OverlaybdLabels.DOWNLOAD_VALUE.equals(info.labels().get(OverlaybdLabels.DOWNLOAD))) {
        Path fs = root.resolve("snapshots").resolve(String.valueOf(Math.abs(key.hashCode()))).resolve("fs");
        try {
          Files.createDirectories(fs);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        return List.of(new Mount("bind", fs.toString(), "", List.of("rw", "rbind")));
      }
      return List.of(new Mount("overlay", "overlay", "", List.of("lowerdir=" + info.parent())));
    }

    @Override
    public void commit(String committedName, String key, Map<String, String> labels) {
      log.add("commit " + committedName);
      if (snapshots.containsKey(committedName)) {
        throw exists(committedName);
      }
      SnapshotInfo active = snapshots.remove(key);
      snapshots.put(committedName, new SnapshotInfo(committedName, active.parent(), SnapshotInfo.Kind.COMMITTED,
          labels));
    }

    @Override
    public boolean canRebase() {
      return rebase;
    }

    @Override
    public void commitOnto(String committedName, String key, String parent, Map<String, String> labels) {
      if (!rebase) {
        throw new AssertionError("commitOnto on a snapshotter that cannot rebase");
      }
      log.add("commit " + committedName + " onto " + parent);
      if (!snapshots.containsKey(parent)) {
        throw new ContainerdException(ContainerdException.Code.NOT_FOUND, "parent " + parent + ": not found", null);
      }
      if (snapshots.containsKey(committedName)) {
        throw exists(committedName);
      }
      SnapshotInfo active = snapshots.remove(key);
      if (!active.parent().isEmpty()) {
        throw new AssertionError("rebase of " + key + ", which was prepared on " + active.parent());
      }
      snapshots.put(committedName, new SnapshotInfo(committedName, parent, SnapshotInfo.Kind.COMMITTED, labels));
    }

    @Override
    public void remove(String key) {
      log.add("remove " + key);
      synchronized (snapshots) {
        if (snapshots.values().stream().anyMatch(i -> i.parent().equals(key))) {
          throw new ContainerdException(ContainerdException.Code.FAILED_PRECONDITION,
              "cannot remove snapshot with child: failed precondition", null);
        }
      }
      snapshots.remove(key);
    }

    private ContainerdException exists(String key) {
      return new ContainerdException(ContainerdException.Code.ALREADY_EXISTS, "snapshot " + key + ": already exists",
          null);
    }
  }
}
