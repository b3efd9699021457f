package io.rpull.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rpull.types.Digest;
import io.rpull.types.Failure;
import io.rpull.types.MediaTypes;
import io.rpull.types.Platform;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DocumentParserTest {
  private static final String D1 = "sha256:" + "1".repeat(64);
  private static final String D2 = "sha256:" + "2".repeat(64);
  private static final String D3 = "sha256:" + "3".repeat(64);
  private final DocumentParser parser = new DocumentParser();

  private static byte[] json(String s) {
    return s.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
  }

  private static Digest digestOf(byte[] b) {
    return Digest.sha256Of(b);
  }

  @Test
  void manifest_keepsLayerOrderSizesAndAnnotations() {
    byte[] body = json("{'schemaVersion':2,'mediaType':'" + MediaTypes.OCI_MANIFEST + "',"
        + "'config':{'mediaType':'" + MediaTypes.OCI_CONFIG + "','digest':'" + D1 + "','size':10},"
        + "'layers':[{'mediaType':'x','digest':'" + D2 + "','size':20,'annotations':{'k':'v'}},"
        + "{'mediaType':'y','digest':'" + D3 + "','size':30}]}");
    ImageManifest m = parser.parseManifest(body, digestOf(body));
    assertEquals(D1, m.config().digest().toString());
    assertEquals(2, m.layers().size());
    assertEquals(20, m.layers().get(0).size());
    assertEquals("v", m.layers().get(0).annotations().get("k"));
    assertEquals(D3, m.layers().get(1).digest().toString());
  }

  @Test
  void ambiguousDocuments_areRejected() {
    byte[] indexWithLayers = json("{'schemaVersion':2,'manifests':[],'layers':[]}");
    byte[] manifestWithManifests = json("{'schemaVersion':2,'config':{'mediaType':'a','digest':'" + D1
        + "','size':1},'layers':[],'manifests':[]}");
    assertEquals(Failure.VERIFICATION, assertThrows(RegistryException.class,
        () -> parser.parseIndex(indexWithLayers, digestOf(indexWithLayers))).failure());
    assertThrows(RegistryException.class, () -> parser.parseManifest(manifestWithManifests,
        digestOf(manifestWithManifests)));
  }

  @Test
  void mediaType_mustAgreeWithContentType_parametersIgnored() {
    byte[] body = json("{'schemaVersion':2,'mediaType':'" + MediaTypes.OCI_INDEX + "','manifests':[]}");
    assertEquals(MediaTypes.OCI_INDEX, parser.mediaTypeOf(body, MediaTypes.OCI_INDEX + "; charset=utf-8",
        digestOf(body)));
    RegistryException e = assertThrows(RegistryException.class,
        () -> parser.mediaTypeOf(body, MediaTypes.OCI_MANIFEST, digestOf(body)));
    assertTrue(e.getMessage().contains("does not match Content-Type"), e.getMessage());
  }

  @Test
  void schema1_isRefusedWithAClearMessage() {
    byte[] body = json("{'schemaVersion':1,'name':'x'}");
    RegistryException e = assertThrows(RegistryException.class,
        () -> parser.mediaTypeOf(body, MediaTypes.DOCKER_SCHEMA1_SIGNED, digestOf(body)));
    assertEquals(Failure.OTHER, e.failure());
    assertTrue(e.getMessage().contains("schema 1"));
  }

  @Test
  void malformedOrHostileJson_isAVerificationError() {
    byte[] truncated = json("{'schemaVersion':2,'config':");
    byte[] deep = ("[".repeat(5000) + "]".repeat(5000)).getBytes(StandardCharsets.UTF_8);
    byte[] negative = json("{'schemaVersion':2,'config':{'mediaType':'a','digest':'" + D1 + "','size':-1},'layers':[]}");
    byte[] badDigest = json("{'schemaVersion':2,'config':{'mediaType':'a','digest':'sha256:../x','size':1},'layers':[]}");
    for (byte[] body : new byte[][] {truncated, deep, negative, badDigest}) {
      RegistryException e = assertThrows(RegistryException.class, () -> parser.parseManifest(body, digestOf(body)));
      assertEquals(Failure.VERIFICATION, e.failure());
    }
  }

  @Test
  void index_picksFirstMatchingPlatform_skipsUnknownEntries() {
    byte[] body = json("{'schemaVersion':2,'mediaType':'" + MediaTypes.OCI_INDEX + "','manifests':["
        + "{'mediaType':'application/vnd.example.unknown','digest':'" + D1 + "','size':1,"
        + "'platform':{'os':'linux','architecture':'amd64'}},"
        + "{'mediaType':'" + MediaTypes.OCI_MANIFEST + "','digest':'" + D2 + "','size':2,"
        + "'platform':{'os':'linux','architecture':'arm64','variant':'v8'}},"
        + "{'mediaType':'" + MediaTypes.OCI_MANIFEST + "','digest':'" + D3 + "','size':3,"
        + "'platform':{'os':'linux','architecture':'amd64'}}]}");
    ImageIndex index = parser.parseIndex(body, digestOf(body));
    assertEquals(D3, index.manifestFor(Platform.parse("linux/amd64")).orElseThrow().digest().toString());
    assertEquals(D2, index.manifestFor(Platform.parse("linux/arm64")).orElseThrow().digest().toString());
    assertTrue(index.manifestFor(Platform.parse("linux/s390x")).isEmpty());
  }

  @Test
  void config_diffIdsAndPlatform() {
    byte[] body = json("{'architecture':'arm64','os':'linux','rootfs':{'type':'layers','diff_ids':['" + D1 + "','" + D2
        + "']}}");
    ImageConfig c = parser.parseConfig(body, digestOf(body));
    assertEquals(2, c.diffIds().size());
    assertEquals("arm64", c.platform().architecture());
  }
}
