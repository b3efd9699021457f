package io.rpull.cli;

import io.rpull.containerd.BlobIngester;
import io.rpull.containerd.BlobRef;
import io.rpull.containerd.ContainerdSession;
import io.rpull.containerd.ContentStore;
import io.rpull.containerd.ImageStore;
import io.rpull.containerd.IngestResult;
import io.rpull.containerd.Leases;
import io.rpull.fetch.BlobFetcher;
import io.rpull.fetch.Descriptor;
import io.rpull.fetch.Digest;
import io.rpull.fetch.DocumentParser;
import io.rpull.fetch.ImageConfig;
import io.rpull.fetch.ImageIndex;
import io.rpull.fetch.ImageManifest;
import io.rpull.fetch.ImageReference;
import io.rpull.fetch.MediaTypes;
import io.rpull.fetch.RegistryClient;
import io.rpull.fetch.RegistryException;
import io.rpull.snapshot.BlobPlacer;
import io.rpull.snapshot.Layer;
import io.rpull.snapshot.Unpacker;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One image pull, in the order that keeps containerd consistent: documents, then layer blobs and
 * snapshots (pipelined), then labels, and the image record last; all under one expiring lease.
 */
final class ImagePuller {
  static final String CRI_NAMESPACE = "k8s.io";
  static final String CRI_MANAGED = "io.cri-containerd.image";
  private final RegistryClient registry;
  private final BlobFetcher fetcher;
  private final ContainerdSession session;
  private final PullSettings settings;
  private final Clock clock;
  private final PullProgress progress;
  private final DocumentParser parser = new DocumentParser();

  ImagePuller(RegistryClient registry, BlobFetcher fetcher, ContainerdSession session, PullSettings settings,
      Clock clock, PullProgress progress) {
    this.registry = registry;
    this.fetcher = fetcher;
    this.session = session;
    this.settings = settings;
    this.clock = clock;
    this.progress = progress;
  }

  /** The documents that describe one platform's image. */
  private record ImageDocuments(Descriptor top, Optional<byte[]> indexBytes, Optional<ImageIndex> index,
      Descriptor manifestDescriptor, byte[] manifestBytes, ImageManifest manifest, byte[] configBytes,
      ImageConfig config) {}

  PullResult pull(ImageReference ref, String name) throws IOException {
    ImageDocuments docs = fetchDocuments(ref);
    List<Layer> layers = layersOf(docs);
    if (alreadyComplete(name, docs, layers)) {
      return new PullResult(name, docs.top().digest().toString(), 0, 0, 0, 0, docs.manifest().layers().size());
    }
    Leases leases = new Leases(session, clock);
    String leaseId = leases.create(Leases.PULL_LEASE_EXPIRY);
    ContainerdSession leased = session.withLease(leaseId);
    BlobIngester ingester = new BlobIngester(leased, settings.messageBytes());
    ContentStore content = new ContentStore(leased);
    Map<String, String> source = GcLabels.distributionSource(ref);

    long written = 0;
    long present = 0;
    List<DocumentWrite> documents = new ArrayList<>();
    docs.indexBytes().ifPresent(b -> documents.add(new DocumentWrite("index", docs.top(), b,
        GcLabels.forIndex(docs.index().orElseThrow()))));
    documents.add(new DocumentWrite("manifest", docs.manifestDescriptor(), docs.manifestBytes(),
        GcLabels.forManifest(docs.manifest())));
    documents.add(new DocumentWrite("config", docs.manifest().config(), docs.configBytes(), Map.of()));
    for (DocumentWrite doc : documents) {
      progress.queued(doc.kind(), doc.blob().digest(), doc.blob().size());
      IngestResult r = ingester.ingest(doc.blob(), offset -> slice(doc.content(), offset));
      progress.finished(doc.blob().digest(), r.alreadyPresent());
      written += r.bytesWritten();
      present += r.alreadyPresent() ? doc.blob().size() : 0;
      Map<String, String> labels = new LinkedHashMap<>(doc.labels());
      labels.putAll(sourceLabels(content, doc.blob().digest(), source));
      content.setLabels(doc.blob().digest(), labels);
    }

    Unpacker.Result unpacked;
    try (LayerDownloads downloads = new LayerDownloads(fetcher, ingester, registry.hosts(), ref.repository(),
        settings.blobsAtOnce(), progress)) {
      for (Layer layer : layers) {
        if (settings.downloadBlobs() || !layer.isOverlaybd()) {
          downloads.start(layer);
        }
      }
      Unpacker unpacker = new Unpacker(leased, settings.snapshotter(), leases, new BlobPlacer(),
          com.google.common.base.Suppliers.memoize(content::root));
      unpacked = unpacker.unpack(layers, name, settings.downloadBlobs(), downloads::await);
      for (Map.Entry<BlobRef, IngestResult> done : downloads.awaitAll().entrySet()) {
        written += done.getValue().bytesWritten();
        present += done.getValue().alreadyPresent() ? done.getKey().size() : 0;
        content.setLabels(done.getKey().digest(), sourceLabels(content, done.getKey().digest(), source));
      }
    }
    for (Unpacker.LayerResult r : unpacked.layers()) {
      if (r.outcome() == Unpacker.Outcome.PLACED || r.outcome() == Unpacker.Outcome.APPLIED) {
        content.setLabels(r.layer().blob().digest(), Map.of(GcLabels.UNCOMPRESSED, r.layer().diffId()));
      }
    }
    if (!unpacked.topChainId().isEmpty()) {
      content.setLabels(docs.manifest().config().digest().toString(),
          Map.of(GcLabels.SNAPSHOT_PREFIX + settings.snapshotter(), unpacked.topChainId()));
    }

    io.rpull.containerd.api.types.Descriptor target = io.rpull.containerd.api.types.Descriptor.newBuilder()
        .setMediaType(docs.top().mediaType())
        .setDigest(docs.top().digest().toString())
        .setSize(docs.top().size())
        .build();
    ImageStore images = new ImageStore(leased);
    if (CRI_NAMESPACE.equals(session.namespace())) {
      // What CRI records after its own pull, so that kubelet sees the image as present.
      Map<String, String> labels = new LinkedHashMap<>(settings.imageLabels());
      labels.put(CRI_MANAGED, "managed");
      images.put(ref.registry() + "/" + ref.repository() + "@" + docs.top().digest(), target, labels);
      images.put(docs.manifest().config().digest().toString(), target, labels);
      images.put(name, target, labels);
    } else {
      images.put(name, target, settings.imageLabels());
    }
    leases.delete(leaseId);
    return new PullResult(name, docs.top().digest().toString(), written, present,
        count(unpacked, Unpacker.Outcome.PLACED), count(unpacked, Unpacker.Outcome.APPLIED),
        count(unpacked, Unpacker.Outcome.EXISTED) + count(unpacked, Unpacker.Outcome.REMOTE));
  }

  /**
   * The fast path of a repeated pull (kubelet hooks call rpull for images that are usually there):
   * the record points at the same digest, every needed blob is present and every layer is
   * unpacked as this pull would leave it. Then nothing is written at all.
   */
  private boolean alreadyComplete(String name, ImageDocuments docs, List<Layer> layers) {
    boolean sameTarget = new ImageStore(session).get(name)
        .map(i -> i.getTarget().getDigest().equals(docs.top().digest().toString())).orElse(false);
    if (!sameTarget) {
      return false;
    }
    ContentStore content = new ContentStore(session);
    List<String> needed = new ArrayList<>(List.of(docs.top().digest().toString(),
        docs.manifestDescriptor().digest().toString(), docs.manifest().config().digest().toString()));
    layers.stream().filter(l -> settings.downloadBlobs() || !l.isOverlaybd()).map(l -> l.blob().digest())
        .forEach(needed::add);
    if (!needed.stream().distinct().allMatch(d -> content.info(d).isPresent())) {
      return false;
    }
    return new Unpacker(session, settings.snapshotter(), new Leases(session, clock), new BlobPlacer(), content::root)
        .alreadyUnpacked(layers, settings.downloadBlobs());
  }

  private ImageDocuments fetchDocuments(ImageReference ref) {
    RegistryClient.Resolved top = registry.resolve(ref, parser);
    Descriptor topDescriptor = top.descriptor();
    Optional<byte[]> indexBytes = Optional.empty();
    Optional<ImageIndex> index = Optional.empty();
    Descriptor manifestDescriptor = topDescriptor;
    byte[] manifestBytes = top.content();
    if (MediaTypes.isIndex(topDescriptor.mediaType())) {
      ImageIndex parsed = parser.parseIndex(top.content(), topDescriptor.digest());
      manifestDescriptor = parsed.manifestFor(settings.platform()).orElseThrow(() -> new RegistryException(
          RegistryException.Kind.NOT_FOUND, ref + ": no match for platform " + settings.platform() + " in manifest "
              + topDescriptor.digest()));
      manifestBytes = document(ref, manifestDescriptor);
      indexBytes = Optional.of(top.content());
      index = Optional.of(parsed);
    } else if (!MediaTypes.isManifest(topDescriptor.mediaType())) {
      throw new RegistryException(RegistryException.Kind.UNSUPPORTED,
          ref + ": unsupported media type " + topDescriptor.mediaType());
    }
    ImageManifest manifest = parser.parseManifest(manifestBytes, manifestDescriptor.digest());
    byte[] configBytes = document(ref, manifest.config());
    ImageConfig config = parser.parseConfig(configBytes, manifest.config().digest());
    if (config.diffIds().size() != manifest.layers().size()) {
      throw new RegistryException(RegistryException.Kind.VERIFICATION,
          ref + ": config lists " + config.diffIds().size() + " diffIDs for " + manifest.layers().size() + " layers");
    }
    return new ImageDocuments(topDescriptor, indexBytes, index, manifestDescriptor, manifestBytes, manifest,
        configBytes, config);
  }

  /**
   * A manifest or config by digest: from containerd when it is already there (so that pulling an
   * image that is present costs one manifest request), else from the registry. Both are verified.
   */
  private byte[] document(ImageReference ref, Descriptor descriptor) {
    Optional<byte[]> local = new ContentStore(session).read(descriptor.digest().toString(), descriptor.size())
        .filter(b -> b.length == descriptor.size() && Digest.sha256Of(b).equals(descriptor.digest()));
    return local.orElseGet(() -> registry.fetchDocument(ref.repository(), descriptor));
  }

  private static List<Layer> layersOf(ImageDocuments docs) {
    List<Layer> layers = new ArrayList<>();
    for (int i = 0; i < docs.manifest().layers().size(); i++) {
      Descriptor d = docs.manifest().layers().get(i);
      layers.add(new Layer(new BlobRef("layer", d.digest().toString(), d.size()), d.mediaType(),
          docs.config().diffIds().get(i).toString(), d.annotations()));
    }
    return layers;
  }

  private record DocumentWrite(String kind, Descriptor descriptor, byte[] content, Map<String, String> labels) {
    BlobRef blob() {
      return new BlobRef(kind, descriptor.digest().toString(), descriptor.size());
    }
  }

  private static InputStream slice(byte[] content, long offset) {
    return new ByteArrayInputStream(content, (int) offset, content.length - (int) offset);
  }

  private static int count(Unpacker.Result result, Unpacker.Outcome outcome) {
    return (int) result.layers().stream().filter(r -> r.outcome() == outcome).count();
  }

  /** This pull's distribution-source label for a blob, merged with what the blob already has. */
  private static Map<String, String> sourceLabels(ContentStore content, String digest, Map<String, String> source) {
    return GcLabels.mergeSource(source, content.info(digest).map(i -> i.getLabelsMap()).orElse(Map.of()));
  }
}
