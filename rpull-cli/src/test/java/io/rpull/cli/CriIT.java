package io.rpull.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * kubelet's way in: crictl against rpulld's CRI image service (the socket kubelet's
 * imageServiceEndpoint names), and against containerd's own CRI runtime to run what rpulld pulled.
 */
class CriIT {
  private static final String K8S = "k8s.io";

  /** crictl with the image endpoint at rpulld. */
  static TestEnv.Run crictl(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(TestEnv.get("RPULL_CRICTL"), "--image-endpoint",
        "unix://" + TestEnv.get("RPULL_CRI_SOCKET"), "--timeout", "120s"));
    command.addAll(List.of(args));
    return TestEnv.run(command, Map.of());
  }

  /** crictl with both endpoints at containerd's own CRI. */
  private static TestEnv.Run runtime(String... args) throws Exception {
    String containerdCri = "unix://" + TestEnv.get("RPULL_CONTAINERD_CRI_SOCKET");
    List<String> command = new ArrayList<>(List.of(TestEnv.get("RPULL_CRICTL"), "--runtime-endpoint", containerdCri,
        "--image-endpoint", containerdCri, "--timeout", "60s"));
    command.addAll(List.of(args));
    return TestEnv.run(command, Map.of());
  }

  @Test
  void crictlPull_ofAnOverlaybdImage_placesEveryLayer_andImagesInspectiRmiWorkThroughTheSameEndpoint()
      throws Exception {
    String image = TestEnv.image("CRI");
    Path log = TestEnv.registryLog();
    long before = TestEnv.lineCount(log);

    TestEnv.Run pull = crictl("pull", image);
    assertEquals(0, pull.exitCode(), pull.toString());
    String config = TestEnv.run(List.of("curl", "-fsS", "-H", "Accept: application/vnd.oci.image.manifest.v1+json",
        "http://" + TestEnv.get("RPULL_REGISTRY") + "/v2/rpull/cri/manifests/v1"), Map.of()).stdout()
        .replaceAll("(?s).*\"config\":\\{[^}]*\"digest\":\"(sha256:[a-f0-9]{64})\".*", "$1");
    assertTrue(pull.stdout().contains("Image is up to date for " + config), "CRI's image ID: " + pull);

    Map<String, Long> layers = TestEnv.layerSizes("rpull/cri", "v1");
    Map<String, Long> served = TestEnv.blobBytesServed(log, before);
    for (Map.Entry<String, Long> layer : layers.entrySet()) {
      assertEquals(layer.getValue(), served.get(layer.getKey()), "every layer downloaded: " + layer.getKey());
    }
    // Each layer is a committed snapshot made local (download label), none lazy.
    List<String> placed = new ArrayList<>();
    for (String row : OverlaybdPullIT.snapshotTable(K8S)) {
      String info = TestEnv.ctr(K8S, "snapshots", "--snapshotter", "overlaybd", "info", row.split("\\s+")[0]).stdout();
      if (info.contains("\"containerd.io/snapshot/overlaybd/download-remote-blob\": \"download\"")) {
        placed.add(info.replaceAll("(?s).*\"containerd.io/snapshot/overlaybd/blob-digest\": \"([^\"]+)\".*", "$1"));
      }
    }
    assertTrue(placed.containsAll(layers.keySet()), "every layer placed, none lazy: " + placed);

    TestEnv.Run images = crictl("images");
    assertTrue(images.stdout().contains(image.substring(0, image.lastIndexOf(':'))), images.toString());
    TestEnv.Run inspect = crictl("inspecti", image);
    assertEquals(0, inspect.exitCode(), inspect.toString());
    assertTrue(inspect.stdout().contains("\"" + image + "\"") && inspect.stdout().contains(config), inspect.toString());
    TestEnv.Run rmi = crictl("rmi", image);
    assertEquals(0, rmi.exitCode(), rmi.toString());
    assertFalse(crictl("images").stdout().contains("rpull/cri "), "removed through the same endpoint");
    assertTrue(crictl("inspecti", image).exitCode() != 0, "inspecti after rmi finds nothing");
  }

  @Test
  void theHtpasswdRegistry_pullsWithCreds_andWithoutThemFailsSayingAuthentication() throws Exception {
    String image = TestEnv.get("RPULL_REGISTRY_TLS") + "/rpull/pause:v1"; // no test counts its bytes
    TestEnv.Run anonymous = crictl("pull", image);
    assertTrue(anonymous.exitCode() != 0, anonymous.toString());
    assertTrue(anonymous.stderr().contains("code = Unauthenticated") && anonymous.stderr().contains("authentication"),
        anonymous.toString());
    assertFalse(anonymous.stderr().contains(TestEnv.get("RPULL_REGISTRY_PASSWORD")));

    TestEnv.Run withCreds = crictl("pull", "--creds", "rpull:" + TestEnv.get("RPULL_REGISTRY_PASSWORD"), image);
    assertEquals(0, withCreds.exitCode(), withCreds.toString());
    String log = Files.readString(Path.of(TestEnv.get("RPULL_RPULLD_LOG")));
    assertFalse(log.contains(TestEnv.get("RPULL_REGISTRY_PASSWORD")), "no credential in rpulld's log");
    assertTrue(log.contains("class=auth"), "the failed pull is logged with its class");
  }

  @Test
  void eightConcurrentCrictlPulls_ofOverlappingImages_serveEachBlobOnce() throws Exception {
    Path log = TestEnv.registryLog();
    long before = TestEnv.lineCount(log);
    List<Process> pulls = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      String image = TestEnv.image(i % 2 == 0 ? "CRI_A" : "CRI_B");
      pulls.add(TestEnv.process(List.of(TestEnv.get("RPULL_CRICTL"), "--image-endpoint",
          "unix://" + TestEnv.get("RPULL_CRI_SOCKET"), "--timeout", "300s", "pull", image), Map.of())
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start());
    }
    for (Process p : pulls) {
      assertTrue(p.waitFor(5, TimeUnit.MINUTES));
      assertEquals(0, p.exitValue(), "every crictl pull succeeds");
    }
    Map<String, Long> layers = new TreeMap<>(TestEnv.layerSizes("rpull/cri-a", "v1"));
    layers.putAll(TestEnv.layerSizes("rpull/cri-b", "v1"));
    assertEquals(4, layers.size());
    Map<String, Long> served = TestEnv.blobBytesServed(log, before);
    for (Map.Entry<String, Long> layer : layers.entrySet()) {
      assertEquals(layer.getValue(), served.get(layer.getKey()), "served once: " + layer.getKey());
    }
  }

  @Test
  void aPlainOciImagePulledThroughRpulld_runsAsAContainerThroughContainerdsCri() throws Exception {
    Path work = Files.createTempDirectory("rpull-cri");
    String image = TestEnv.image("OCI");
    for (String pulled : List.of(image, TestEnv.image("PAUSE"))) {
      TestEnv.Run pull = crictl("pull", pulled);
      assertEquals(0, pull.exitCode(), pull.toString());
    }
    String uid = java.util.UUID.randomUUID().toString();
    Path pod = work.resolve("pod.json");
    // Host network: no CNI plugin is needed on the test machine.
    Files.writeString(pod, "{\"metadata\":{\"name\":\"rpull-" + uid.substring(0, 8) + "\",\"namespace\":\"default\","
        + "\"uid\":\"" + uid + "\",\"attempt\":0},\"log_directory\":\"" + work + "\","
        + "\"linux\":{\"security_context\":{\"namespace_options\":{\"network\":2}}}}");
    Path container = work.resolve("container.json");
    Files.writeString(container, "{\"metadata\":{\"name\":\"cat\"},\"image\":{\"image\":\"" + image + "\"},"
        + "\"command\":[\"cat\",\"/etc/rpull-release\",\"/usr/local/bin/hello\"],\"log_path\":\"cat.log\"}");
    TestEnv.Run runp = runtime("runp", pod.toString());
    assertEquals(0, runp.exitCode(), runp.toString());
    String podId = runp.stdout().strip();
    try {
      TestEnv.Run create = runtime("create", "--no-pull", podId, container.toString(), pod.toString());
      assertEquals(0, create.exitCode(), create.toString());
      String containerId = create.stdout().strip();
      assertEquals(0, runtime("start", containerId).exitCode());
      String state = "";
      for (int i = 0; i < 100 && !state.contains("EXITED"); i++) {
        TimeUnit.MILLISECONDS.sleep(100);
        state = runtime("inspect", "-o", "go-template", "--template", "{{.status.state}}", containerId).stdout();
      }
      assertTrue(state.contains("EXITED"), state);
      TestEnv.Run logs = runtime("logs", containerId);
      assertTrue(logs.stdout().contains("rpull test image") && logs.stdout().contains("echo hello from rpull"),
          logs.toString());
    } finally {
      runtime("stopp", podId);
      runtime("rmp", podId);
    }
  }
}
