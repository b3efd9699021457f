package io.rpull.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rpull.fetch.Descriptor;
import io.rpull.fetch.Digest;
import io.rpull.fetch.ImageManifest;
import io.rpull.fetch.ImageReference;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GcLabelsTest {
  private static Descriptor d(char c) {
    return Descriptor.of("x", Digest.parse("sha256:" + String.valueOf(c).repeat(64)), 1);
  }

  @Test
  void manifestLabels_nameConfigAndEveryLayerByIndex() {
    Map<String, String> labels = GcLabels.forManifest(new ImageManifest(d('c'), List.of(d('1'), d('2'))));
    assertEquals(Map.of(
        "containerd.io/gc.ref.content.config", "sha256:" + "c".repeat(64),
        "containerd.io/gc.ref.content.l.0", "sha256:" + "1".repeat(64),
        "containerd.io/gc.ref.content.l.1", "sha256:" + "2".repeat(64)), labels);
  }

  @Test
  void distributionSource_mergesWithWhatOtherPullsRecorded() {
    String key = "containerd.io/distribution.source.r";
    assertEquals(Map.of(key, "a/x,b/y,c/z"), GcLabels.mergeSource(Map.of(key, "b/y"), Map.of(key, "c/z,a/x")));
    assertEquals(Map.of(key, "b/y"), GcLabels.mergeSource(Map.of(key, "b/y"), Map.of()));
    assertEquals(Map.of(key, "b/y"), GcLabels.mergeSource(Map.of(key, "b/y"), Map.of(key, "b/y")));
  }

  @Test
  void distributionSource_usesTheHostWithoutPort() {
    assertEquals(Map.of("containerd.io/distribution.source.127.0.0.1", "rpull/obd"),
        GcLabels.distributionSource(ImageReference.parse("127.0.0.1:5000/rpull/obd:v1")));
    assertEquals(Map.of("containerd.io/distribution.source.::1", "x"),
        GcLabels.distributionSource(ImageReference.parse("[::1]:5000/x:y")));
  }
}
