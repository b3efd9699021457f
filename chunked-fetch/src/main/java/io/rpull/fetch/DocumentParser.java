package io.rpull.fetch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.rpull.types.Descriptor;
import io.rpull.types.Digest;
import io.rpull.types.Failure;
import io.rpull.types.MediaTypes;
import io.rpull.types.Platform;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Parses manifests, indexes and configs after their bytes have been verified against their digest.
 * Rejects the ambiguous documents behind CVE-2021-41190 and media types that contradict the
 * registry's Content-Type.
 */
public final class DocumentParser {
  /** Layer count cap: far above real images, far below what exhausts memory. */
  static final int MAX_LAYERS = 1000;

  private final ObjectMapper json;

  public DocumentParser() {
    this.json = JsonMapper.builder()
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .build();
    json.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
  }

  /** What kind of document the bytes are, from the registry's Content-Type and the body's mediaType. */
  public String mediaTypeOf(byte[] body, String contentType, Digest digest) {
    JsonNode root = read(body, digest);
    String declared = root.path("mediaType").asText("");
    String header = contentType == null ? "" : contentType.split(";", 2)[0].trim();
    if (!declared.isEmpty() && !header.isEmpty() && !header.equals(declared)
        && !"application/json".equals(header) && !"application/octet-stream".equals(header)) {
      throw verification(digest, "mediaType " + declared + " does not match Content-Type " + header);
    }
    String type = !declared.isEmpty() ? declared : header;
    if (type.isEmpty() || "application/json".equals(type)) {
      type = root.has("manifests") ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
    }
    if (MediaTypes.isSchema1(type) || root.path("schemaVersion").asInt(2) == 1) {
      throw new RegistryException(Failure.OTHER,
          "schema 1 manifest " + digest + " is not supported: convert the image to schema 2 or OCI");
    }
    return type;
  }

  public ImageIndex parseIndex(byte[] body, Digest digest) {
    JsonNode root = read(body, digest);
    if (root.has("layers") || root.has("config")) {
      throw verification(digest, "an index must not carry layers or config (ambiguous document)");
    }
    List<Descriptor> manifests = new ArrayList<>();
    for (JsonNode m : root.path("manifests")) {
      manifests.add(descriptor(m, digest));
    }
    return new ImageIndex(manifests);
  }

  public ImageManifest parseManifest(byte[] body, Digest digest) {
    JsonNode root = read(body, digest);
    if (root.has("manifests")) {
      throw verification(digest, "a manifest must not carry manifests (ambiguous document)");
    }
    if (!root.has("config")) {
      throw verification(digest, "manifest has no config");
    }
    JsonNode layers = root.path("layers");
    if (layers.size() > MAX_LAYERS) {
      throw verification(digest, "manifest has " + layers.size() + " layers, more than " + MAX_LAYERS);
    }
    List<Descriptor> list = new ArrayList<>();
    for (JsonNode l : layers) {
      list.add(descriptor(l, digest));
    }
    return new ImageManifest(descriptor(root.get("config"), digest), list);
  }

  public ImageConfig parseConfig(byte[] body, Digest digest) {
    JsonNode root = read(body, digest);
    List<Digest> diffIds = new ArrayList<>();
    for (JsonNode d : root.path("rootfs").path("diff_ids")) {
      diffIds.add(digestOf(d.asText(), digest));
    }
    Platform platform = new Platform(
        root.path("os").asText("linux"), root.path("architecture").asText(""), root.path("variant").asText(""));
    return new ImageConfig(diffIds, platform);
  }

  private Descriptor descriptor(JsonNode node, Digest parent) {
    String mediaType = node.path("mediaType").asText("");
    Digest digest = digestOf(node.path("digest").asText(""), parent);
    if (!node.path("size").canConvertToExactIntegral() || node.path("size").asLong(-1) < 0) {
      throw verification(parent, "descriptor " + digest + " has an invalid size");
    }
    Map<String, String> annotations = new LinkedHashMap<>();
    node.path("annotations").fields().forEachRemaining(e -> annotations.put(e.getKey(), e.getValue().asText()));
    Optional<Platform> platform = Optional.empty();
    JsonNode p = node.get("platform");
    if (p != null && p.has("os") && p.has("architecture")) {
      platform = Optional.of(new Platform(p.get("os").asText(), p.get("architecture").asText(),
          p.path("variant").asText("")));
    }
    return new Descriptor(mediaType, digest, node.get("size").asLong(), annotations, platform);
  }

  private static Digest digestOf(String value, Digest parent) {
    try {
      return Digest.parse(value);
    } catch (IllegalArgumentException e) {
      throw verification(parent, "it names an invalid digest: " + e.getMessage());
    }
  }

  private JsonNode read(byte[] body, Digest digest) {
    try {
      JsonNode root = json.readTree(body);
      if (root == null || !root.isObject()) {
        throw verification(digest, "not a JSON object");
      }
      return root;
    } catch (JsonProcessingException e) {
      throw verification(digest, "malformed JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw verification(digest, "unreadable JSON: " + e.getMessage());
    }
  }

  private static RegistryException verification(Digest digest, String reason) {
    return new RegistryException(Failure.VERIFICATION, "document " + digest + ": " + reason);
  }
}
