package io.rpull.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rpull.types.Descriptor;
import io.rpull.types.Digest;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OverlaybdLabelsTest {
  private static final String D = "sha256:" + "a".repeat(64);

  private static Layer layer(Map<String, String> annotations) {
    return new Layer(new Descriptor("application/vnd.oci.image.layer.v1.tar", Digest.parse(D), 10, annotations,
        java.util.Optional.empty()), Digest.parse(D));
  }

  @Test
  void labels_areWhatCtrRpullGivesADownloadedLayer() {
    Layer l = layer(Map.of(OverlaybdLabels.BLOB_DIGEST, D, OverlaybdLabels.BLOB_SIZE, "10",
        "containerd.io/snapshot/overlaybd/version", "0.1.0", "org.opencontainers.image.title", "not a label"));
    Map<String, String> labels = OverlaybdLabels.forLayer(l, "sha256:chain", "sha256:parent", "reg/x:1", true);
    assertEquals(Map.of(
        OverlaybdLabels.BLOB_DIGEST, D,
        OverlaybdLabels.BLOB_SIZE, "10",
        "containerd.io/snapshot/overlaybd/version", "0.1.0",
        OverlaybdLabels.SNAPSHOT_REF, "sha256:chain",
        OverlaybdLabels.DIFF_ID, D,
        OverlaybdLabels.PARENT_CHAIN_ID, "sha256:parent",
        OverlaybdLabels.IMAGE_REF, "reg/x:1",
        OverlaybdLabels.DOWNLOAD, "download"), labels);
  }

  @Test
  void bottomLayer_hasNoParentLabel_lazyHasNoDownloadLabel() {
    Map<String, String> labels = OverlaybdLabels.forLayer(layer(Map.of()), "sha256:c", "", "reg/x:1", false);
    assertFalse(labels.containsKey(OverlaybdLabels.PARENT_CHAIN_ID));
    assertFalse(labels.containsKey(OverlaybdLabels.DOWNLOAD));
  }

  @Test
  void oversizedAnnotation_isNotForwarded() {
    Map<String, String> labels = OverlaybdLabels.forLayer(
        layer(Map.of("containerd.io/snapshot/huge", "x".repeat(5000))), "sha256:c", "", "reg/x:1", false);
    assertFalse(labels.containsKey("containerd.io/snapshot/huge"));
  }

  @Test
  void layerKinds() {
    assertTrue(layer(Map.of(OverlaybdLabels.BLOB_DIGEST, D, OverlaybdLabels.BLOB_SIZE, "1")).isOverlaybd());
    assertFalse(layer(Map.of(OverlaybdLabels.BLOB_DIGEST, D)).isOverlaybd());
    Layer turbo = layer(Map.of(OverlaybdLabels.BLOB_DIGEST, D, OverlaybdLabels.BLOB_SIZE, "1",
        OverlaybdLabels.TURBO_OCI_TARGET_DIGEST, D));
    assertFalse(turbo.isOverlaybd());
    assertTrue(turbo.isTurboOci());
  }
}
