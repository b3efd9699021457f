package io.rpull.engine;

import io.rpull.types.Descriptor;
import io.rpull.types.Digest;
import io.rpull.types.MediaTypes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/** A small image built in memory: layers with random bytes, a config listing their diffIDs, a manifest. */
final class TestImage {
  static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";

  /** A layer: its blob and the diffID the fake applier reports for it. */
  record LayerBlob(Descriptor descriptor, byte[] content, Digest diffId) {}

  final List<LayerBlob> layers = new ArrayList<>();
  byte[] config;
  Descriptor configDescriptor;
  byte[] manifest;
  Descriptor manifestDescriptor;

  /** {@code overlaybd}: the layers carry the overlaybd annotations (diffID = blob digest, as converted images have). */
  static TestImage of(int layerCount, int layerSize, boolean overlaybd, long seed) {
    TestImage image = new TestImage();
    Random random = new Random(seed);
    for (int i = 0; i < layerCount; i++) {
      byte[] content = new byte[layerSize];
      random.nextBytes(content);
      Digest digest = Digest.sha256Of(content);
      Map<String, String> annotations = overlaybd
          ? Map.of("containerd.io/snapshot/overlaybd/blob-digest", digest.toString(),
              "containerd.io/snapshot/overlaybd/blob-size", String.valueOf(layerSize))
          : Map.of();
      Descriptor d = new Descriptor(OCI_LAYER, digest, layerSize, annotations, Optional.empty());
      Digest diffId = overlaybd ? digest : Digest.sha256Of(("uncompressed " + digest).getBytes(StandardCharsets.UTF_8));
      image.layers.add(new LayerBlob(d, content, diffId));
    }
    StringBuilder diffIds = new StringBuilder();
    StringBuilder layerJson = new StringBuilder();
    for (LayerBlob l : image.layers) {
      diffIds.append(diffIds.length() == 0 ? "" : ",").append('"').append(l.diffId()).append('"');
      StringBuilder annotations = new StringBuilder();
      l.descriptor().annotations().forEach((k, v) -> annotations.append(annotations.length() == 0 ? "" : ",")
          .append('"').append(k).append("\":\"").append(v).append('"'));
      layerJson.append(layerJson.length() == 0 ? "" : ",").append("{\"mediaType\":\"").append(OCI_LAYER)
          .append("\",\"digest\":\"").append(l.descriptor().digest()).append("\",\"size\":")
          .append(l.descriptor().size()).append(",\"annotations\":{").append(annotations).append("}}");
    }
    image.config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
        + diffIds + "]}}").getBytes(StandardCharsets.UTF_8);
    image.configDescriptor = Descriptor.of(MediaTypes.OCI_CONFIG, Digest.sha256Of(image.config), image.config.length);
    image.manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{"
        + "\"mediaType\":\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + image.configDescriptor.digest()
        + "\",\"size\":" + image.config.length + "},\"layers\":[" + layerJson + "]}").getBytes(StandardCharsets.UTF_8);
    image.manifestDescriptor = Descriptor.of(MediaTypes.OCI_MANIFEST, Digest.sha256Of(image.manifest),
        image.manifest.length);
    return image;
  }
}
