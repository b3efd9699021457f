package io.rpull.engine;

import io.rpull.containerd.BlobKind;
import io.rpull.containerd.ContentStore;
import io.rpull.containerd.ImageRecord;
import io.rpull.containerd.ImageStore;
import io.rpull.containerd.IngestResult;
import io.rpull.containerd.Leases;
import io.rpull.fetch.FetchEvents;
import io.rpull.fetch.ImageSource;
import io.rpull.fetch.ImageSources;
import io.rpull.snapshot.BlobPlacer;
import io.rpull.snapshot.ContainerdNamespace;
import io.rpull.snapshot.Layer;
import io.rpull.snapshot.Unpacker;
import io.rpull.types.Descriptor;
import io.rpull.types.Digest;
import java.io.ByteArrayInputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * One whole pull, in the order that keeps containerd consistent: documents, then layer blobs and
 * snapshots (pipelined), and the image record last; all under one expiring lease, deleted at the
 * end. Never throws: every ending is a {@link PullResult} with its failure class.
 */
public final class PullEngine {
  static final String CRI_NAMESPACE = "k8s.io";
  static final String CRI_MANAGED = "io.cri-containerd.image";

  private final ImageSources registries;
  private final Function<String, ContainerdNamespace> containerd;
  private final BlobPlacer placer;
  private final SharedPulls shared;
  private final Clock clock;

  /**
   * @param registries opens an image's registry for one pull
   * @param containerd the containerd namespace of a given name
   * @param shared the downloads, snapshots and limits this engine's pulls share with every other
   *     pull of the process
   */
  public PullEngine(ImageSources registries, Function<String, ContainerdNamespace> containerd, BlobPlacer placer,
      SharedPulls shared, Clock clock) {
    this.registries = registries;
    this.containerd = containerd;
    this.placer = placer;
    this.shared = shared;
    this.clock = clock;
  }

  public PullResult pull(PullRequest request, PullListener listener) {
    shared.observer().started(request);
    long started = clock.millis();
    Optional<Digest> resolved = Optional.empty();
    PullResult result;
    try {
      ImageSource registry = registries.open(request.reference(), request.credentials(), new FetchEvents() {
        @Override
        public void received(Digest blob, long bytes) {
          listener.bytesReceived(blob, bytes);
        }

        @Override
        public void hostSkipped(String what, String host, String reason, String next) {
          listener.hostSkipped(what, host, reason, next);
        }
      });
      // Resolved first: a command line's own containerd connection is still being made meanwhile.
      ImageSource.Resolved top = registry.resolve();
      ContainerdNamespace namespace = containerd.apply(request.namespace());
      ImageDocuments docs = ImageDocuments.fetch(request.name(), top, registry, namespace.content(),
          request.platform());
      resolved = Optional.of(docs.top().digest());
      result = new ImagePull(request, registry, namespace, docs, listener).run(started);
    } catch (Exception e) {
      result = PullResult.failed(request.name(), resolved, Failures.classify(e), elapsedSince(started));
    }
    listener.finished(result);
    shared.observer().finished(request, result);
    return result;
  }

  private Duration elapsedSince(long startMillis) {
    return Duration.ofMillis(clock.millis() - startMillis);
  }

  /** The state of one pull once its documents are known. */
  private final class ImagePull {
    private final PullRequest request;
    private final ImageSource registry;
    private final ContainerdNamespace namespace;
    private final ImageDocuments docs;
    private final List<Layer> layers;
    private final PullListener listener;
    private final Map<String, String> source;
    private long fetched;
    private long reused;

    ImagePull(PullRequest request, ImageSource registry, ContainerdNamespace namespace, ImageDocuments docs,
        PullListener listener) {
      this.request = request;
      this.registry = registry;
      this.namespace = namespace;
      this.docs = docs;
      this.layers = docs.layers();
      this.listener = listener;
      this.source = GcLabels.distributionSource(request.reference());
    }

    /** @param started when the pull began, in the clock's milliseconds */
    PullResult run(long started) throws Exception {
      if (alreadyComplete()) {
        return new PullResult(request.name(), Optional.of(docs.top().digest()),
            Optional.of(docs.manifest().config().digest()), 0, 0, 0, 0, layers.size(),
            elapsedSince(started), Optional.empty());
      }
      Leases leases = namespace.leases();
      String leaseId = leases.create(Leases.PULL_LEASE_EXPIRY, Leftovers.labels(request.name()));
      Leftovers.adopt(namespace, request.name(), leaseId);
      ContainerdNamespace leased = namespace.withLease(leaseId);
      ContentStore content = leased.content();
      for (DocumentWrite doc : documents()) {
        listener.blobQueued(doc.kind(), doc.blob());
        IngestResult r = content.ingest(doc.kind(), doc.blob(),
            offset -> new ByteArrayInputStream(doc.content(), (int) offset, doc.content().length - (int) offset));
        count(doc.blob(), r);
        listener.blobCommitted(doc.blob().digest(), r.alreadyPresent());
        Map<String, String> labels = new LinkedHashMap<>(doc.gcLabels());
        labels.putAll(sourceLabels(content, doc.blob().digest()));
        content.setLabels(doc.blob().digest(), labels);
      }

      Unpacker.Result unpacked;
      try (LayerDownloads downloads = new LayerDownloads(
          blob -> shared.blob(blob.digest(), () -> ingestLayer(content, blob)), request.blobsAtOnce(), listener)) {
        for (Layer layer : layers) {
          if (needsBlob(layer)) {
            downloads.start(layer);
          }
        }
        unpacked = new Unpacker(leased, request.snapshotter(), placer, shared.snapshots(request.namespace())).unpack(layers, request.name(),
            request.downloadBlobs(), downloads::await, new Unpacker.Events() {
              @Override
              public void committing(Layer layer) {
                listener.layerCommitting(layer.blob());
              }

              @Override
              public void done(Unpacker.LayerResult result) {
                listener.layerDone(result.layer().blob(), result.outcome());
              }
            });
        downloads.awaitAll().forEach(this::count);
      }
      Digest config = docs.manifest().config().digest();
      unpacked.topChainId().ifPresent(top ->
          content.setLabels(config, Map.of(GcLabels.SNAPSHOT_PREFIX + request.snapshotter(), top.toString())));
      record(leased.images());
      leases.delete(leaseId);
      return new PullResult(request.name(), Optional.of(docs.top().digest()),
          Optional.of(docs.manifest().config().digest()), fetched, reused,
          unpacked.count(Unpacker.Outcome.PLACED), unpacked.count(Unpacker.Outcome.APPLIED),
          unpacked.count(Unpacker.Outcome.EXISTED) + unpacked.count(Unpacker.Outcome.REMOTE),
          elapsedSince(started), Optional.empty());
    }

    /** A layer blob into containerd, labelled with its source in the same step. */
    private IngestResult ingestLayer(ContentStore content, Descriptor blob) throws java.io.IOException {
      IngestResult result = content.ingest(BlobKind.LAYER, blob, offset -> registry.openBlob(blob, offset));
      content.setLabels(blob.digest(), sourceLabels(content, blob.digest()));
      return result;
    }

    /** Lazy pulls leave overlaybd layers in the registry; every other layer is unpacked from its blob. */
    private boolean needsBlob(Layer layer) {
      return request.downloadBlobs() || !layer.isOverlaybd();
    }

    private synchronized void count(Descriptor blob, IngestResult result) {
      fetched += result.bytesWritten();
      reused += result.alreadyPresent() ? blob.size() : 0;
    }

    private List<DocumentWrite> documents() {
      List<DocumentWrite> documents = new ArrayList<>();
      docs.indexBytes().ifPresent(b -> documents.add(new DocumentWrite(BlobKind.INDEX, docs.top(), b,
          GcLabels.forIndex(docs.index().orElseThrow()))));
      documents.add(new DocumentWrite(BlobKind.MANIFEST, docs.manifestDescriptor(), docs.manifestBytes(),
          GcLabels.forManifest(docs.manifest())));
      documents.add(new DocumentWrite(BlobKind.CONFIG, docs.manifest().config(), docs.configBytes(), Map.of()));
      return documents;
    }

    /** The image record, last: in k8s.io also the records CRI makes, so that kubelet sees the image. */
    private void record(ImageStore images) {
      Descriptor target = Descriptor.of(docs.top().mediaType(), docs.top().digest(), docs.top().size());
      if (CRI_NAMESPACE.equals(request.namespace())) {
        Map<String, String> labels = new LinkedHashMap<>(request.imageLabels());
        labels.put(CRI_MANAGED, "managed");
        images.put(new ImageRecord(request.reference().registry() + "/" + request.reference().repository() + "@"
            + docs.top().digest(), target, labels));
        images.put(new ImageRecord(docs.manifest().config().digest().toString(), target, labels));
        images.put(new ImageRecord(request.name(), target, labels));
      } else {
        images.put(new ImageRecord(request.name(), target, request.imageLabels()));
      }
    }

    /**
     * The fast path of a repeated pull (kubelet hooks call rpull for images that are usually there):
     * the record points at the same digest, every needed blob is present and every layer is
     * unpacked as this pull would leave it. Then nothing is written at all.
     */
    private boolean alreadyComplete() {
      boolean sameTarget = namespace.images().get(request.name())
          .map(i -> i.target().digest().equals(docs.top().digest())).orElse(false);
      if (!sameTarget) {
        return false;
      }
      List<Digest> needed = new ArrayList<>(List.of(docs.top().digest(), docs.manifestDescriptor().digest(),
          docs.manifest().config().digest()));
      layers.stream().filter(this::needsBlob).map(l -> l.blob().digest()).forEach(needed::add);
      if (!needed.stream().distinct().allMatch(d -> namespace.content().info(d).isPresent())) {
        return false;
      }
      return new Unpacker(namespace, request.snapshotter(), placer).alreadyUnpacked(layers, request.downloadBlobs());
    }

    /** This pull's distribution-source label for a blob, merged with what the blob already has. */
    private Map<String, String> sourceLabels(ContentStore content, Digest digest) {
      return GcLabels.mergeSource(source, content.info(digest).map(i -> i.labels()).orElse(Map.of()));
    }
  }

  private record DocumentWrite(BlobKind kind, Descriptor blob, byte[] content, Map<String, String> gcLabels) {}
}
