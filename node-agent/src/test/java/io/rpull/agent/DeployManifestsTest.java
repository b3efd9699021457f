package io.rpull.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.rpull.cli.Main;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The files under deploy/ are what operators apply, so they are checked as their readers would:
 * every YAML document parses into a Kubernetes object; every mount has its volume; every host path
 * is mounted where it is on the host (rpull reads the content store and snapshot directories as
 * host paths); each pod's rpull command line parses as rpull's own, reads a list its ConfigMap has,
 * and reaches the defaults rpull and rpulld use; kubelet's endpoints are rpulld's sockets; the
 * systemd unit's command line parses as rpulld's.
 */
class DeployManifestsTest {
  private static final Path DEPLOY = projectRoot().resolve("deploy");
  private static final YAMLMapper YAML = new YAMLMapper();

  private static Path projectRoot() {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    return Files.isDirectory(dir.resolve("deploy")) ? dir : dir.getParent();
  }

  /** Every document of every YAML file under deploy/kubernetes, by file. */
  private static Map<String, List<JsonNode>> documents() throws IOException {
    Map<String, List<JsonNode>> byFile = new HashMap<>();
    try (Stream<Path> files = Files.list(DEPLOY.resolve("kubernetes"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
          while (it.hasNext()) {
            docs.add(it.next());
          }
        }
        byFile.put(file.getFileName().toString(), docs);
      }
    }
    return byFile;
  }

  private static List<JsonNode> allDocuments() throws IOException {
    return documents().values().stream().flatMap(List::stream).toList();
  }

  private static String defaultOf(String key) {
    return ConfigKeys.byPath(key).defaultValue();
  }

  @Test
  void everyDocumentIsAKubernetesObject() throws IOException {
    Map<String, List<JsonNode>> docs = documents();
    assertEquals(List.of("kubelet-config.yaml", "rpull-warm-daemonset.yaml", "rpull-warm-job.yaml"),
        docs.keySet().stream().sorted().toList());
    for (JsonNode doc : allDocuments()) {
      assertTrue(doc.path("apiVersion").isTextual() && doc.path("kind").isTextual(), doc.toString());
      if (!doc.path("kind").asText().equals("KubeletConfiguration")) {
        assertTrue(doc.path("metadata").path("name").isTextual(), doc.toString());
      }
    }
  }

  @Test
  void podsMountHostPathsAtTheirHostPaths_withoutApiAccess() throws IOException {
    List<JsonNode> pods = podSpecs();
    assertEquals(2, pods.size(), "the DaemonSet's and the Job's");
    for (JsonNode pod : pods) {
      assertFalse(pod.path("automountServiceAccountToken").asBoolean(true), "no API access: " + pod);
      Map<String, JsonNode> volumes = new HashMap<>();
      pod.path("volumes").forEach(v -> volumes.put(v.path("name").asText(), v));
      List<String> hostPathsMounted = new ArrayList<>();
      for (JsonNode container : containers(pod)) {
        for (JsonNode mount : container.path("volumeMounts")) {
          JsonNode volume = volumes.get(mount.path("name").asText());
          if (volume == null) {
            fail("mount " + mount + " has no volume");
          }
          if (volume.has("hostPath")) {
            assertEquals(volume.path("hostPath").path("path").asText(), mount.path("mountPath").asText(),
                "a host path is mounted at the same path");
            hostPathsMounted.add(mount.path("mountPath").asText());
          }
        }
      }
      // What rpull reaches by default: containerd's socket, its root (content store and overlaybd's
      // default root, one mount so that blobs are hard-linked), the hosts directory, /run/rpull
      // (lock files and the agent socket).
      for (String needed : List.of(defaultOf("containerd.address"), "/var/lib/containerd", defaultOf("registry.hosts_dir"),
          Path.of(defaultOf("sockets.agent")).getParent().toString())) {
        assertTrue(hostPathsMounted.contains(needed), needed + " is not mounted in " + hostPathsMounted);
      }
    }
  }

  @Test
  void eachPodsRpullCommandParses_andReadsAListItsConfigMapHas() throws IOException {
    Map<String, JsonNode> configMaps = new HashMap<>();
    allDocuments().stream().filter(d -> d.path("kind").asText().equals("ConfigMap"))
        .forEach(d -> configMaps.put(d.path("metadata").path("name").asText(), d));
    for (JsonNode pod : podSpecs()) {
      List<String> rpull = rpullCommandLine(pod);
      CommandLine.ParseResult parsed = Main.described().parseArgs(rpull.subList(1, rpull.size()).toArray(String[]::new));
      assertTrue(parsed.hasMatchedOption("--download-blobs"), "a warm pull is a full pull: " + rpull);
      assertEquals("k8s.io", parsed.matchedOptionValue("--namespace", ""), "kubelet looks in k8s.io");
      Path list = Path.of(parsed.<String>matchedOptionValue("--from-file", ""));
      JsonNode listVolume = volumeMountedAt(pod, list.getParent().toString());
      JsonNode configMap = configMaps.get(listVolume.path("configMap").path("name").asText());
      if (configMap == null) {
        fail("no ConfigMap " + listVolume.path("configMap") + " in deploy/kubernetes");
      }
      assertTrue(configMap.path("data").path(list.getFileName().toString()).isTextual(),
          "the ConfigMap has " + list.getFileName());
    }
  }

  @Test
  void theJobPutsOnePodOnEachListedNode() throws IOException {
    JsonNode job = allDocuments().stream().filter(d -> d.path("kind").asText().equals("Job")).findFirst().orElseThrow();
    JsonNode spec = job.path("spec");
    JsonNode nodes = spec.path("template").path("spec").path("affinity").path("nodeAffinity")
        .path("requiredDuringSchedulingIgnoredDuringExecution").path("nodeSelectorTerms").get(0)
        .path("matchExpressions").get(0).path("values");
    assertEquals(nodes.size(), spec.path("completions").asInt(), "completions: one per listed node");
    assertEquals(nodes.size(), spec.path("parallelism").asInt(), "parallelism: one per listed node");
    assertEquals("Indexed", spec.path("completionMode").asText());
    assertEquals("kubernetes.io/hostname", spec.path("template").path("spec").path("affinity").path("podAntiAffinity")
        .path("requiredDuringSchedulingIgnoredDuringExecution").get(0).path("topologyKey").asText(),
        "never two pods on one node");
  }

  @Test
  void kubeletsEndpointsAreRpulldsCriSocketAndContainerds() throws IOException {
    JsonNode kubelet = allDocuments().stream().filter(d -> d.path("kind").asText().equals("KubeletConfiguration"))
        .findFirst().orElseThrow();
    assertEquals("kubelet.config.k8s.io/v1beta1", kubelet.path("apiVersion").asText());
    assertEquals("unix://" + defaultOf("sockets.cri"), kubelet.path("imageServiceEndpoint").asText());
    assertEquals("unix://" + defaultOf("containerd.address"), kubelet.path("containerRuntimeEndpoint").asText());
  }

  @Test
  void theUnitsCommandLineParsesAsRpullds() throws IOException {
    String execStart = Files.readAllLines(DEPLOY.resolve("rpulld.service")).stream()
        .filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow().substring("ExecStart=".length());
    String[] words = execStart.split(" ");
    assertEquals("/usr/bin/rpulld", words[0]);
    CommandLine.ParseResult parsed = new CommandLine(Rpulld.spec())
        .parseArgs(java.util.Arrays.copyOfRange(words, 1, words.length));
    assertEquals(Rpulld.DEFAULT_CONFIG, parsed.matchedOptionValue("--config", null));
  }

  /** The volume some container of {@code pod} mounts at {@code path}; fails the test when none does. */
  private static JsonNode volumeMountedAt(JsonNode pod, String path) {
    for (JsonNode container : containers(pod)) {
      for (JsonNode mount : container.path("volumeMounts")) {
        if (path.equals(mount.path("mountPath").asText())) {
          for (JsonNode volume : pod.path("volumes")) {
            if (volume.path("name").asText().equals(mount.path("name").asText())) {
              return volume;
            }
          }
        }
      }
    }
    return fail(path + " is on no mounted volume");
  }

  private static List<JsonNode> podSpecs() throws IOException {
    return allDocuments().stream().filter(d -> List.of("DaemonSet", "Job").contains(d.path("kind").asText()))
        .map(d -> d.path("spec").path("template").path("spec")).toList();
  }

  private static List<JsonNode> containers(JsonNode pod) {
    List<JsonNode> all = new ArrayList<>();
    pod.path("initContainers").forEach(all::add);
    pod.path("containers").forEach(all::add);
    return all;
  }

  /** The pod's one rpull command line (the image's PATH has rpull). */
  private static List<String> rpullCommandLine(JsonNode pod) {
    List<List<String>> found = new ArrayList<>();
    for (JsonNode container : containers(pod)) {
      List<String> command = new ArrayList<>();
      container.path("command").forEach(c -> command.add(c.asText()));
      if (!command.isEmpty() && command.get(0).equals("rpull")) {
        found.add(command);
      }
    }
    assertEquals(1, found.size(), "one rpull command line per pod: " + found);
    return found.get(0);
  }
}
