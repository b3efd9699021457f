package io.rpull.cli;

import io.rpull.fetch.Descriptor;
import io.rpull.fetch.ImageIndex;
import io.rpull.fetch.ImageManifest;
import io.rpull.fetch.ImageReference;
import java.util.LinkedHashMap;
import java.util.Map;

/** The content labels containerd's client writes during a pull, so that GC sees the same graph. */
final class GcLabels {
  static final String CONTENT_PREFIX = "containerd.io/gc.ref.content.";
  static final String SNAPSHOT_PREFIX = "containerd.io/gc.ref.snapshot.";
  static final String UNCOMPRESSED = "containerd.io/uncompressed";
  static final String DISTRIBUTION_SOURCE = "containerd.io/distribution.source.";

  private GcLabels() {}

  /** {@code m.<i>} for every child of an index, also the platforms that are not pulled. */
  static Map<String, String> forIndex(ImageIndex index) {
    Map<String, String> labels = new LinkedHashMap<>();
    for (int i = 0; i < index.manifests().size(); i++) {
      labels.put(CONTENT_PREFIX + "m." + i, index.manifests().get(i).digest().toString());
    }
    return labels;
  }

  /** {@code config} and {@code l.<i>} for a manifest's children. */
  static Map<String, String> forManifest(ImageManifest manifest) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(CONTENT_PREFIX + "config", manifest.config().digest().toString());
    for (int i = 0; i < manifest.layers().size(); i++) {
      Descriptor layer = manifest.layers().get(i);
      labels.put(CONTENT_PREFIX + "l." + i, layer.digest().toString());
    }
    return labels;
  }

  /** {@code containerd.io/distribution.source.<host without port>=<repository>}. */
  static Map<String, String> distributionSource(ImageReference ref) {
    String host = ref.registry();
    if (host.startsWith("[")) {
      host = host.substring(1, host.indexOf(']'));
    } else if (host.contains(":")) {
      host = host.substring(0, host.indexOf(':'));
    }
    return Map.of(DISTRIBUTION_SOURCE + host, ref.repository());
  }
}
