package io.rpull.engine;

import io.rpull.containerd.ContentStore;
import io.rpull.fetch.DocumentParser;
import io.rpull.fetch.ImageConfig;
import io.rpull.fetch.ImageIndex;
import io.rpull.fetch.ImageManifest;
import io.rpull.fetch.ImageSource;
import io.rpull.fetch.RegistryException;
import io.rpull.snapshot.Layer;
import io.rpull.types.Descriptor;
import io.rpull.types.Digest;
import io.rpull.types.Failure;
import io.rpull.types.MediaTypes;
import io.rpull.types.Platform;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The verified documents that describe one platform's image, and its layers. */
record ImageDocuments(Descriptor top, Optional<byte[]> indexBytes, Optional<ImageIndex> index,
    Descriptor manifestDescriptor, byte[] manifestBytes, ImageManifest manifest, byte[] configBytes,
    ImageConfig config) {

  /**
   * Resolves the reference and fetches what it names for {@code platform}. A manifest or config
   * already in containerd is read from there (so that pulling an image that is present costs one
   * request); both ways it is verified against its descriptor.
   */
  static ImageDocuments fetch(String name, ImageSource.Resolved resolved, ImageSource registry, ContentStore local,
      Platform platform) {
    DocumentParser parser = new DocumentParser();
    Descriptor top = resolved.descriptor();
    Optional<byte[]> indexBytes = Optional.empty();
    Optional<ImageIndex> index = Optional.empty();
    Descriptor manifestDescriptor = top;
    byte[] manifestBytes = resolved.content();
    if (MediaTypes.isIndex(top.mediaType())) {
      ImageIndex parsed = parser.parseIndex(resolved.content(), top.digest());
      manifestDescriptor = parsed.manifestFor(platform).orElseThrow(() -> new RegistryException(
          Failure.NOT_FOUND, name + ": no match for platform " + platform + " in manifest " + top.digest()));
      manifestBytes = document(registry, local, manifestDescriptor);
      indexBytes = Optional.of(resolved.content());
      index = Optional.of(parsed);
    } else if (!MediaTypes.isManifest(top.mediaType())) {
      throw new RegistryException(Failure.OTHER, name + ": unsupported media type " + top.mediaType());
    }
    ImageManifest manifest = parser.parseManifest(manifestBytes, manifestDescriptor.digest());
    byte[] configBytes = document(registry, local, manifest.config());
    ImageConfig config = parser.parseConfig(configBytes, manifest.config().digest());
    if (config.diffIds().size() != manifest.layers().size()) {
      throw new RegistryException(Failure.VERIFICATION, name + ": config lists " + config.diffIds().size()
          + " diffIDs for " + manifest.layers().size() + " layers");
    }
    return new ImageDocuments(top, indexBytes, index, manifestDescriptor, manifestBytes, manifest, configBytes,
        config);
  }

  private static byte[] document(ImageSource registry, ContentStore local, Descriptor descriptor) {
    return local.read(descriptor.digest(), descriptor.size())
        .filter(b -> b.length == descriptor.size() && Digest.sha256Of(b).equals(descriptor.digest()))
        .orElseGet(() -> registry.fetchDocument(descriptor));
  }

  /** Each layer's descriptor with its diffID from the config, bottom first. */
  List<Layer> layers() {
    List<Layer> layers = new ArrayList<>();
    for (int i = 0; i < manifest.layers().size(); i++) {
      layers.add(new Layer(manifest.layers().get(i), config.diffIds().get(i)));
    }
    return List.copyOf(layers);
  }
}
