package io.rpull.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Plain OCI images and multi-platform indexes: unpacked with Diff.Apply, like ctr rpull does. */
class PlainImagesIT {
  @Test
  void debianImage_isUnpackedLayerByLayer_withTheSameSnapshotsAsTheReference() throws Exception {
    String image = TestEnv.image("OCI");
    String ours = TestEnv.namespace("oci-rpull");
    String theirs = TestEnv.namespace("oci-ref");
    TestEnv.Run run = TestEnv.rpull("-a", TestEnv.containerd(), "-n", ours, "--plain-http", image);
    assertEquals(0, run.exitCode(), run.toString());
    assertEquals(0, TestEnv.ctr(theirs, "rpull", "--plain-http", image).exitCode());

    TestEnv.Run check = TestEnv.ctr(ours, "images", "check");
    assertTrue(check.stdout().contains("complete (4/4)"), check.toString());
    assertTrue(check.stdout().strip().endsWith("true"), check.toString());
    List<String> snapshots = OverlaybdPullIT.snapshotTable(ours);
    assertEquals(3, snapshots.size(), snapshots.toString());
    assertEquals(OverlaybdPullIT.snapshotTable(theirs), snapshots);
    assertEquals(OverlaybdPullIT.contentDigests(theirs), OverlaybdPullIT.contentDigests(ours));
    assertEquals(OverlaybdPullIT.snapshotLabels(theirs), OverlaybdPullIT.snapshotLabels(ours));
    assertEquals(OverlaybdPullIT.contentLabels(theirs), OverlaybdPullIT.contentLabels(ours));
  }

  @Test
  void debianImage_onOverlayfs_leavesWhatPlainCtrPullLeaves() throws Exception {
    String image = TestEnv.image("OCI");
    String ours = TestEnv.namespace("ctrpull-rpull");
    String theirs = TestEnv.namespace("ctrpull-ref");
    TestEnv.Run run = TestEnv.rpull("-a", TestEnv.containerd(), "-n", ours, "--plain-http", "--snapshotter",
        "overlayfs", image);
    assertEquals(0, run.exitCode(), run.toString());
    List<String> pull = new java.util.ArrayList<>(List.of("images", "pull", "--plain-http", "--snapshotter",
        "overlayfs"));
    if (TestEnv.get("RPULL_CONTAINERD_FLAVOUR").equals("1.6")) {
      pull.add("--local"); // containerd 1.6 has no transfer service; ctr then pulls client-side
    }
    pull.add(image);
    TestEnv.Run reference = TestEnv.ctr(theirs, pull.toArray(String[]::new));
    assertEquals(0, reference.exitCode(), reference.toString());

    assertEquals(OverlaybdPullIT.snapshotTable(theirs, "overlayfs"), OverlaybdPullIT.snapshotTable(ours, "overlayfs"));
    assertEquals(3, OverlaybdPullIT.snapshotTable(ours, "overlayfs").size());
    assertEquals(OverlaybdPullIT.contentLabels(theirs), OverlaybdPullIT.contentLabels(ours));
    assertEquals(OverlaybdPullIT.imageRow(theirs), OverlaybdPullIT.imageRow(ours));
    // The one intended difference: rpull labels snapshots with the image reference, as ctr rpull
    // does (overlaybd needs it); plain ctr pull does not.
    Map<String, String> ourLabels = new java.util.TreeMap<>();
    OverlaybdPullIT.snapshotLabels(ours, "overlayfs").forEach((name, info) -> ourLabels.put(name,
        info.replaceAll("\"containerd.io/snapshot/image-ref\": \"[^\"]*\",?", "")));
    Map<String, String> theirLabels = new java.util.TreeMap<>();
    OverlaybdPullIT.snapshotLabels(theirs, "overlayfs").forEach((name, info) -> theirLabels.put(name,
        info.replaceAll(",\\}", "}")));
    ourLabels.replaceAll((k, v) -> v.replaceAll(",\\}", "}"));
    if (TestEnv.get("RPULL_CONTAINERD_FLAVOUR").equals("1.6")) {
      // ctr's client-side pull unpacks the legacy way and labels no snapshot at all; rpull labels
      // them as containerd's unpacker (CRI, the 2.x transfer service) does. Compare the rest.
      assertTrue(theirLabels.values().stream().noneMatch(v -> v.contains("\"Labels\"")), theirLabels.toString());
      assertTrue(ourLabels.values().stream().allMatch(v -> v.contains("\"containerd.io/snapshot.ref\"")),
          ourLabels.toString());
      ourLabels.replaceAll((k, v) -> v.replaceAll(",\"Labels\": \\{[^}]*\\}", ""));
    }
    assertEquals(theirLabels, ourLabels);
    assertWhiteoutsAreOverlayWhiteouts();
  }

  /**
   * The image's third layer deletes /opt/rpull/remove-me. In that layer's directory the deletion
   * must be an overlay whiteout (a 0/0 character device), however the layer was applied: in order
   * onto its parent, or (containerd 2.2+ overlayfs, which can rebase) side by side without one.
   */
  private static void assertWhiteoutsAreOverlayWhiteouts() throws java.io.IOException {
    java.nio.file.Path snapshots = java.nio.file.Path.of(TestEnv.get("RPULL_CONTAINERD_ROOT"),
        "io.containerd.snapshotter.v1.overlayfs", "snapshots");
    int layers = 0;
    try (java.util.stream.Stream<java.nio.file.Path> dirs = java.nio.file.Files.list(snapshots)) {
      for (java.nio.file.Path dir : dirs.toList()) {
        java.nio.file.Path fs = dir.resolve("fs");
        if (!java.nio.file.Files.exists(fs.resolve("usr/local/bin/hello"))) {
          continue;
        }
        layers++;
        java.nio.file.Path whiteout = fs.resolve("opt/rpull/remove-me");
        assertTrue(java.nio.file.Files.readAttributes(whiteout, java.nio.file.attribute.BasicFileAttributes.class,
            java.nio.file.LinkOption.NOFOLLOW_LINKS).isOther(), whiteout + " is not a device (an overlay whiteout)");
        assertEquals(0L, ((Number) java.nio.file.Files.getAttribute(whiteout, "unix:rdev",
            java.nio.file.LinkOption.NOFOLLOW_LINKS)).longValue(), whiteout + " is not the 0/0 whiteout device");
      }
    }
    assertTrue(layers >= 2, "the third layer of both pulls was found under " + snapshots);
  }

  @Test
  void index_recordsTheIndex_andPullsTheRequestedPlatform() throws Exception {
    String image = TestEnv.image("INDEX");
    JsonNode index = registryDocument("rpull/multi", "v1");
    String arm64 = index.path("manifests").get(1).path("digest").asText();
    String amd64 = index.path("manifests").get(0).path("digest").asText();

    String ns = TestEnv.namespace("index");
    TestEnv.Run run = TestEnv.rpull("-a", TestEnv.containerd(), "-n", ns, "--plain-http", "--download-blobs",
        "--platform", "linux/arm64", image);
    assertEquals(0, run.exitCode(), run.toString());
    String row = OverlaybdPullIT.imageRow(ns);
    assertTrue(row.contains(TestEnv.get("RPULL_IMAGE_INDEX_DIGEST")), row);
    List<String> content = OverlaybdPullIT.contentDigests(ns);
    assertTrue(content.contains(arm64), content.toString());
    assertTrue(!content.contains(amd64), "the amd64 manifest must not be fetched: " + content);
    assertEquals(1, OverlaybdPullIT.snapshotTable(ns).size());
  }

  private static JsonNode registryDocument(String repo, String tag) throws Exception {
    HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://" + TestEnv.get("RPULL_REGISTRY") + "/v2/" + repo + "/manifests/" + tag))
        .header("Accept", "application/vnd.oci.image.index.v1+json").build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode());
    return new ObjectMapper().readTree(r.body());
  }
}
