package io.rpull.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The command line as scripts, hooks and people use it, against the real environment. */
class CliIT {
  private static final Pattern FLAG = Pattern.compile("(?<![\\w-])(--[a-z][a-z-]+|-[a-z])(?![\\w-])");

  private static Set<String> flagsIn(String help) {
    Set<String> flags = new TreeSet<>();
    for (String line : help.lines().filter(l -> l.strip().startsWith("-")).toList()) {
      Matcher m = FLAG.matcher(line.split("  ")[0].strip().isEmpty() ? line : line.strip().split("\\s{2,}|\\t")[0]);
      while (m.find()) {
        flags.add(m.group(1));
      }
    }
    return flags;
  }

  @Test
  void everyFlagOfCtrRpull_andOfCtrItself_isAcceptedByRpull() throws Exception {
    TestEnv.Run ctrRpull = TestEnv.run(List.of(TestEnv.get("RPULL_CTR"), "rpull", "--help"), Map.of());
    TestEnv.Run ctrGlobal = TestEnv.run(List.of(TestEnv.get("RPULL_CTR"), "--help"), Map.of());
    Set<String> ctrFlags = new TreeSet<>(flagsIn(ctrRpull.stdout()));
    // The global ctr flags rpull honours (ctr rpull reads them from the parent command).
    for (String global : List.of("--address", "-a", "--namespace", "-n", "--timeout", "--connect-timeout",
        "--debug")) {
      assertTrue(flagsIn(ctrGlobal.stdout()).contains(global), global + " in ctr --help");
      ctrFlags.add(global);
    }
    assertTrue(ctrFlags.containsAll(Set.of("--download-blobs", "--plain-http", "--hosts-dir", "--user", "-u",
        "--skip-verify", "-k", "--snapshotter", "--label", "--http-dump")), ctrFlags.toString());
    Set<String> ours = flagsIn(TestEnv.rpull("--help").stdout());
    Set<String> missing = new TreeSet<>(ctrFlags);
    missing.removeAll(ours);
    missing.removeAll(Set.of("--help", "-h"));
    assertEquals(Set.of(), missing, "ctr rpull flags that rpull lacks");

    // Accepted with the same meaning: one invocation with every ctr flag set, against the real services.
    String ns = TestEnv.namespace("allflags");
    Path hosts = Files.createTempDirectory("hosts");
    TestEnv.Run run = TestEnv.rpull("--address", TestEnv.containerd(), "--namespace", ns, "--timeout", "5m",
        "--connect-timeout", "10s", "--debug", "--plain-http", "--skip-verify", "--hosts-dir", hosts.toString(),
        "--label", "team=storage", "--snapshotter", "overlaybd", "--http-trace", "--download-blobs",
        TestEnv.image("OBD"));
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(OverlaybdPullIT.imageRow(ns).contains("team=storage"), OverlaybdPullIT.imageRow(ns));
    assertTrue(run.stderr().contains("http: GET"), "--http-trace prints requests");
  }

  @Test
  void environmentVariables_standInForTheFlags_asWithCtr() throws Exception {
    String ns = TestEnv.namespace("env");
    TestEnv.Run run = TestEnv.run(TestEnv.rpullCommand("--plain-http", "--download-blobs", TestEnv.image("OBD")),
        Map.of("CONTAINERD_ADDRESS", TestEnv.containerd(), "CONTAINERD_NAMESPACE", ns,
            "CONTAINERD_SNAPSHOTTER", "overlaybd"));
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(TestEnv.ctr(ns, "images", "check").stdout().contains("complete (5/5)"));
    TestEnv.Run wrongSnapshotter = TestEnv.run(TestEnv.rpullCommand("--plain-http", "--download-blobs", TestEnv.image("OCI")),
        Map.of("CONTAINERD_ADDRESS", TestEnv.containerd(), "CONTAINERD_NAMESPACE", TestEnv.namespace("env2"),
            "CONTAINERD_SNAPSHOTTER", "no-such-snapshotter"));
    assertEquals(ExitCode.CONTAINERD.code, wrongSnapshotter.exitCode(), wrongSnapshotter.toString());
    assertTrue(wrongSnapshotter.stderr().contains("no-such-snapshotter"), wrongSnapshotter.toString());
  }

  @Test
  void jsonOutput_endsWithAResultPerImage_andNamesTheFailureClass() throws Exception {
    String ns = TestEnv.namespace("json");
    TestEnv.Run ok = TestEnv.rpull("-a", TestEnv.containerd(), "-n", ns, "--plain-http", "--download-blobs",
        "--output", "json", TestEnv.image("OBD"));
    assertEquals(0, ok.exitCode(), ok.toString());
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> events = new ArrayList<>();
    for (String line : ok.stdout().strip().lines().toList()) {
      events.add(json.readTree(line));
    }
    JsonNode result = events.get(events.size() - 1);
    assertEquals("result", result.path("event").asText());
    assertEquals("ok", result.path("status").asText());
    assertEquals(TestEnv.get("RPULL_IMAGE_OBD_DIGEST"), result.path("digest").asText());
    assertTrue(result.has("bytes_fetched") && result.has("bytes_present") && result.has("duration_ms"), result.toString());

    TestEnv.Run missing = TestEnv.rpull("-a", TestEnv.containerd(), "-n", ns, "--plain-http", "-o", "json",
        TestEnv.get("RPULL_REGISTRY") + "/rpull/obd:missing");
    assertEquals(ExitCode.NOT_FOUND.code, missing.exitCode(), missing.toString());
    JsonNode failed = json.readTree(missing.stdout().strip().lines().reduce((a, b) -> b).orElseThrow());
    assertEquals("failed", failed.path("status").asText());
    assertEquals("not_found", failed.path("failure").asText());
    assertEquals(3, failed.path("exit_code").asInt());
  }

  @Test
  void batchPull_fetchesSharedBlobsOnce_reportsTheMissingRef_andPullsTheRest() throws Exception {
    String ns = TestEnv.namespace("batch");
    Path log = TestEnv.registryLog();
    long before = TestEnv.lineCount(log);
    String missing = TestEnv.get("RPULL_REGISTRY") + "/rpull/never-pushed:v1";
    Path list = Files.createTempFile("refs", ".txt");
    Files.writeString(list, "# warm pull list\n" + TestEnv.image("BATCH_A") + "\n" + missing + "\n"
        + TestEnv.image("BATCH_B") + "\n\n" + TestEnv.image("OBD") + "\n");
    TestEnv.Run run = TestEnv.rpull("-a", TestEnv.containerd(), "-n", ns, "--plain-http", "--download-blobs",
        "--from-file", list.toString());
    assertEquals(ExitCode.NOT_FOUND.code, run.exitCode(), "non-zero because one image failed:\n" + run);
    assertTrue(run.stdout().contains("IMAGE"), "a summary table:\n" + run);
    assertTrue(run.stdout().lines().anyMatch(l -> l.startsWith(missing) && l.contains("not_found")), run.toString());
    assertTrue(run.stderr().contains("never-pushed"), run.toString());
    TestEnv.Run check = TestEnv.ctr(ns, "images", "check");
    assertEquals(3, check.stdout().lines().filter(l -> l.contains("complete (")).count(), check.toString());

    Map<String, Long> layers = new TreeMap<>(TestEnv.layerSizes("rpull/batch-a", "v1"));
    layers.putAll(TestEnv.layerSizes("rpull/batch-b", "v1"));
    Map<String, Long> served = TestEnv.blobBytesServed(log, before);
    for (Map.Entry<String, Long> layer : layers.entrySet()) {
      assertEquals(layer.getValue(), served.get(layer.getKey()), "each blob fetched exactly once: " + layer.getKey());
    }
  }

  @Test
  void batchWithAMalformedLine_pullsTheGoodImages_andGivesOneResultPerLine() throws Exception {
    String ns = TestEnv.namespace("badline");
    String missing = TestEnv.get("RPULL_REGISTRY") + "/rpull/never-pushed:v1";
    Path list = Files.createTempFile("refs", ".txt");
    // Images no other test counts the registry's bytes for: blobs are shared by all namespaces.
    Files.writeString(list, TestEnv.image("OBD") + "\nNOT a/Valid:ref\n" + missing + "\n"
        + TestEnv.image("INDEX") + "\n");

    TestEnv.Run text = TestEnv.rpull("-a", TestEnv.containerd(), "-n", ns, "--plain-http", "--download-blobs",
        "--from-file", list.toString());
    assertEquals(ExitCode.NOT_FOUND.code, text.exitCode(), "the worst class wins over usage:\n" + text);
    assertTrue(text.stderr().contains("line 2 of " + list), "the bad line is named by number:\n" + text);
    assertTrue(text.stdout().lines().anyMatch(l -> l.startsWith("NOT a/Valid:ref") && l.contains("usage")), text.toString());
    assertTrue(text.stdout().lines().anyMatch(l -> l.startsWith(missing) && l.contains("not_found")), text.toString());
    TestEnv.Run check = TestEnv.ctr(ns, "images", "check");
    assertEquals(2, check.stdout().lines().filter(l -> l.contains("complete (")).count(), check.toString());

    TestEnv.Run jsonRun = TestEnv.rpull("-a", TestEnv.containerd(), "-n", ns, "--plain-http", "--download-blobs",
        "--output", "json", "--from-file", list.toString());
    assertEquals(ExitCode.NOT_FOUND.code, jsonRun.exitCode(), jsonRun.toString());
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> results = new ArrayList<>();
    for (String line : jsonRun.stdout().lines().toList()) {
      JsonNode event = json.readTree(line);
      if (event.path("event").asText().equals("result")) {
        results.add(event);
      }
    }
    assertEquals(List.of("ok", "usage", "not_found", "ok"), results.stream()
        .map(r -> r.path("status").asText().equals("ok") ? "ok" : r.path("failure").asText()).toList(),
        jsonRun.toString());
  }

  @Test
  void exitCodes_namedInHelp_areTheOnesReturned() throws Exception {
    String help = TestEnv.rpull("--help").stdout();
    for (ExitCode code : ExitCode.values()) {
      assertTrue(help.contains(code.code + "   " + code.meaning) || help.contains(code.meaning), code.name());
    }
    assertEquals(ExitCode.USAGE.code, TestEnv.rpull("not a reference").exitCode());
    assertEquals(ExitCode.USAGE.code, TestEnv.rpull("--no-such-flag", TestEnv.image("OBD")).exitCode());
    assertEquals(ExitCode.CONTAINERD.code, TestEnv.rpull("-a", "/nonexistent.sock", TestEnv.image("OBD")).exitCode());
    TestEnv.Run version = TestEnv.rpull("--version");
    assertEquals(0, version.exitCode());
    assertTrue(version.stdout().startsWith("rpull "));
  }
}
