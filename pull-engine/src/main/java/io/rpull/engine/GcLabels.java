package io.rpull.engine;

import io.rpull.fetch.ImageIndex;
import io.rpull.fetch.ImageManifest;
import io.rpull.fetch.ImageReference;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/** The content labels containerd's client writes during a pull, so that GC sees the same graph. */
final class GcLabels {
  static final String CONTENT_PREFIX = "containerd.io/gc.ref.content.";
  static final String SNAPSHOT_PREFIX = "containerd.io/gc.ref.snapshot.";
  static final String DISTRIBUTION_SOURCE = "containerd.io/distribution.source.";
  /** containerd rejects a label whose key and value together exceed this. */
  static final int MAX_LABEL_BYTES = 4096;

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
      labels.put(CONTENT_PREFIX + "l." + i, manifest.layers().get(i).digest().toString());
    }
    return labels;
  }

  /**
   * Adds this pull's repository to a blob's distribution-source label, keeping the repositories
   * other pulls recorded: a sorted, de-duplicated, comma-joined list, as containerd's client
   * writes it (left unchanged if it would exceed containerd's label limit).
   */
  static Map<String, String> mergeSource(Map<String, String> ours, Map<String, String> existing) {
    Map<String, String> merged = new LinkedHashMap<>();
    ours.forEach((key, repo) -> {
      TreeSet<String> repos = new TreeSet<>();
      String old = existing.getOrDefault(key, "");
      if (!old.isEmpty()) {
        repos.addAll(Arrays.asList(old.split(",")));
      }
      repos.add(repo);
      String value = String.join(",", repos);
      merged.put(key, key.length() + value.length() <= MAX_LABEL_BYTES ? value : old.isEmpty() ? repo : old);
    });
    return merged;
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
