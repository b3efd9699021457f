package io.rpull.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Many pulls at once, and pulls killed half-way, against the real containerd and snapshotter. */
class ConcurrencyAndCrashIT {
  @Test
  void fourPullsAtOnce_ofOverlappingImages_allSucceed_andEachBlobIsDownloadedOnce() throws Exception {
    String ns = TestEnv.namespace("concurrent");
    Path log = TestEnv.registryLog();
    long before = TestEnv.lineCount(log);
    String a = TestEnv.image("SHARED_A");
    String b = TestEnv.image("SHARED_B");
    List<Process> pulls = new ArrayList<>();
    for (String image : List.of(a, b, a, b)) {
      pulls.add(TestEnv.startRpull("-a", TestEnv.containerd(), "-n", ns, "--plain-http", "--download-blobs", image));
    }
    for (Process p : pulls) {
      assertTrue(p.waitFor(5, TimeUnit.MINUTES));
      assertEquals(0, p.exitValue(), "every concurrent pull succeeds");
    }
    TestEnv.Run check = TestEnv.ctr(ns, "images", "check");
    assertEquals(2, check.stdout().lines().filter(l -> l.contains("complete (") && l.strip().endsWith("true"))
        .count(), check.toString());

    Map<String, Long> layers = new TreeMap<>(TestEnv.layerSizes("rpull/shared-a", "v1"));
    layers.putAll(TestEnv.layerSizes("rpull/shared-b", "v1"));
    assertEquals(4, layers.size(), "two shared layers plus one of each");
    Map<String, Long> served = TestEnv.blobBytesServed(log, before);
    for (Map.Entry<String, Long> layer : layers.entrySet()) {
      assertEquals(layer.getValue(), served.get(layer.getKey()), "bytes served for " + layer.getKey());
    }
  }

  @Test
  void pullKilledMidway_leavesNoImageAndOnlyExpiringLeases_andTheRerunResumes() throws Exception {
    String ns = TestEnv.namespace("killed");
    String image = TestEnv.get("RPULL_CAPPED_REGISTRY") + "/rpull/obd-kill:v1";
    Path log = Path.of(TestEnv.get("RPULL_NGINX_CAPPED_LOG"));
    long before = TestEnv.lineCount(log);
    Map<String, Long> layers = TestEnv.layerSizes("rpull/obd-kill", "v1");
    String bigLayer = layers.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();

    Process pull = TestEnv.startRpull("-a", TestEnv.containerd(), "-n", ns, "--plain-http", "--download-blobs", image);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!ingestStarted(ns, bigLayer) && System.nanoTime() < deadline && pull.isAlive()) {
      pull.waitFor(50, TimeUnit.MILLISECONDS);
    }
    assertTrue(pull.isAlive(), "the pull must still be running when it is killed");
    pull.destroyForcibly().waitFor();

    assertEquals("", OverlaybdPullIT.imageRow(ns), "no image record for an incomplete image");
    TestEnv.Run leases = TestEnv.ctr(ns, "leases", "ls");
    assertTrue(leases.stdout().lines().skip(1).allMatch(l -> l.contains("containerd.io/gc.expire=")), leases.toString());
    List<String> content = OverlaybdPullIT.contentDigests(ns);
    // Active "extract-… <chainID>" keys the kill left behind are under the expiring lease; the
    // guarantee is about committed snapshots.
    List<String> committed = OverlaybdPullIT.snapshotTable(ns).stream().filter(row -> row.endsWith("Committed"))
        .map(row -> row.split("\\s+")[0]).toList();
    for (String snapshot : committed) {
      TestEnv.Run info = TestEnv.ctr(ns, "snapshots", "--snapshotter", "overlaybd", "info", snapshot);
      String blob = info.stdout().replaceAll("(?s).*\"containerd.io/snapshot/overlaybd/blob-digest\": \"([^\"]+)\".*",
          "$1");
      assertTrue(content.contains(blob), "committed snapshot " + snapshot + " has its verified blob");
    }

    TestEnv.Run rerun = TestEnv.rpull("-a", TestEnv.containerd(), "-n", ns, "--plain-http", "--download-blobs", image);
    assertEquals(0, rerun.exitCode(), rerun.toString());
    assertTrue(TestEnv.ctr(ns, "images", "check").stdout().contains("complete (3/3)"));
    TestEnv.assertRefetchedAtMostOneWindow(log, before, bigLayer, layers.get(bigLayer));
  }

  private static boolean ingestStarted(String ns, String digest) throws Exception {
    TestEnv.Run active = TestEnv.ctr(ns, "content", "active");
    return active.stdout().lines().anyMatch(l -> l.contains("layer-" + digest) && !l.matches(".*\\s0(\\.0)?\\s?B?/.*"));
  }

  @Test
  void inTheKubernetesNamespace_theRecordsCriWouldCreateExist() throws Exception {
    String image = TestEnv.image("OBD");
    TestEnv.Run run = TestEnv.rpull("-a", TestEnv.containerd(), "-n", "k8s.io", "--plain-http", "--download-blobs",
        image);
    assertEquals(0, run.exitCode(), run.toString());
    TestEnv.Run ls = TestEnv.ctr("k8s.io", "images", "ls");
    String repoDigest = image.substring(0, image.lastIndexOf(':')) + "@" + TestEnv.get("RPULL_IMAGE_OBD_DIGEST");
    for (String name : List.of(image, repoDigest)) {
      assertTrue(ls.stdout().lines().anyMatch(l -> l.startsWith(name + " ") && l.contains("io.cri-containerd.image=managed")),
          name + " in\n" + ls);
    }
    assertTrue(ls.stdout().lines().anyMatch(l -> l.startsWith("sha256:") && l.contains("io.cri-containerd.image=managed")),
        "the image-id record:\n" + ls);

    // What kubelet would see: CRI's own ImageService, on containerd's socket.
    var channel = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder
        .forAddress(new io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress(TestEnv.containerd()))
        .eventLoopGroup(new io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup(1,
            io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler.newFactory()))
        .channelType(io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel.class)
        .usePlaintext().overrideAuthority("localhost").build();
    try {
      var cri = io.rpull.cli.cri.ImageServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(30, java.util.concurrent.TimeUnit.SECONDS);
      io.rpull.cli.cri.Image seen = null;
      for (int attempt = 0; attempt < 50 && seen == null; attempt++) {
        // CRI learns of new records from containerd's events, a moment after they are written.
        seen = cri.listImages(io.rpull.cli.cri.ListImagesRequest.getDefaultInstance()).getImagesList().stream()
            .filter(i -> i.getRepoTagsList().contains(image)).findFirst().orElse(null);
        if (seen == null) {
          channel.awaitTermination(100, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
      }
      assertTrue(seen != null, "CRI ListImages lists " + image);
      assertTrue(seen.getRepoDigestsList().contains(repoDigest), seen.toString());
      assertTrue(seen.getId().startsWith("sha256:"), seen.toString());
    } finally {
      channel.shutdownNow();
    }
  }
}
