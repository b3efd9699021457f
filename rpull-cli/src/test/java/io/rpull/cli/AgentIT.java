package io.rpull.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The command line handing its work to rpulld, the node agent the test environment started. */
class AgentIT {
  /** Timings and rates differ from run to run; everything else must be the same. */
  private static String normalized(String output) {
    return output.replaceAll("\\d+(\\.\\d+)? ?(s|ms)\\b", "T").replaceAll("[\\d.]+ [KMG]?i?B/s", "R")
        .replaceAll("\"duration_ms\":\\d+", "\"duration_ms\":T");
  }

  private static void assertSameAsInProcess(String... args) throws Exception {
    List<String> inProcess = new ArrayList<>(List.of(args));
    inProcess.add(0, "--no-agent");
    TestEnv.Run agent = TestEnv.rpullThroughAgent(args);
    TestEnv.Run local = TestEnv.rpull(inProcess.toArray(String[]::new));
    assertEquals(local.exitCode(), agent.exitCode(), "exit codes\nagent: " + agent + "\nin-process: " + local);
    assertEquals(normalized(local.stdout()), normalized(agent.stdout()), "stdout");
    assertEquals(normalized(local.stderr()), normalized(agent.stderr()), "stderr");
  }

  @Test
  void throughTheAgent_outputAndExitCodeEqualAnInProcessPull_forSuccessAndEachFailureClass() throws Exception {
    String ns = TestEnv.namespace("parity");
    String cd = TestEnv.containerd();
    String image = TestEnv.image("PARITY");
    TestEnv.Run first = TestEnv.rpullThroughAgent("-a", cd, "-n", ns, "--plain-http", "--download-blobs", image);
    assertEquals(0, first.exitCode(), first.toString());
    assertTrue(first.stdout().strip().endsWith("done"), first.toString());
    // success (the image is complete: both print the same no-op), text and JSON
    assertSameAsInProcess("-a", cd, "-n", ns, "--plain-http", "--download-blobs", image);
    assertSameAsInProcess("-a", cd, "-n", ns, "--plain-http", "--download-blobs", "-o", "json", image);
    // usage
    assertSameAsInProcess("-a", cd, "-n", ns, "--concurrency", "0", image);
    assertSameAsInProcess("-a", cd, "-n", ns, "not a reference");
    // not found
    assertSameAsInProcess("-a", cd, "-n", ns, "--plain-http", TestEnv.get("RPULL_REGISTRY") + "/rpull/nope:v1");
    // auth
    assertSameAsInProcess("-a", cd, "-n", ns, "--hosts-dir", TestEnv.get("RPULL_HOSTS_DIR"),
        TestEnv.get("RPULL_REGISTRY_TLS") + "/rpull/parity:v1");
    // network
    assertSameAsInProcess("-a", cd, "-n", ns, "--plain-http", "127.0.0.1:1/rpull/parity:v1");
    // containerd (a snapshotter containerd does not have)
    assertSameAsInProcess("-a", cd, "-n", ns, "--plain-http", "--download-blobs", "--snapshotter", "nope", image);
  }

  @Test
  void eightCommandLines_inEightNamespaces_throughTheAgent_downloadEachBlobOnce() throws Exception {
    Path log = TestEnv.registryLog();
    long before = TestEnv.lineCount(log);
    String image = TestEnv.image("FANOUT");
    List<Process> pulls = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      pulls.add(TestEnv.process(TestEnv.rpullCommand("-a", TestEnv.containerd(), "-n", TestEnv.namespace("fanout"),
              "--plain-http", "--download-blobs", image), TestEnv.agent())
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start());
    }
    for (Process p : pulls) {
      assertTrue(p.waitFor(5, TimeUnit.MINUTES));
      assertEquals(0, p.exitValue(), "every pull succeeds");
    }
    Map<String, Long> served = TestEnv.blobBytesServed(log, before);
    for (Map.Entry<String, Long> layer : TestEnv.layerSizes("rpull/fanout", "v1").entrySet()) {
      assertEquals(layer.getValue(), served.get(layer.getKey()), "served once for eight namespaces: "
          + layer.getKey());
    }
  }

  @Test
  void killingTheAgentMidPull_thenRestartingIt_thenPullingAgain_refetchesAtMostOneWindow() throws Exception {
    String ns = TestEnv.namespace("agent-kill");
    String image = TestEnv.get("RPULL_CAPPED_REGISTRY") + "/rpull/agent-kill:v1";
    Path log = Path.of(TestEnv.get("RPULL_NGINX_CAPPED_LOG"));
    long before = TestEnv.lineCount(log);
    Map<String, Long> layers = TestEnv.layerSizes("rpull/agent-kill", "v1");
    String bigLayer = layers.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();

    Process client = TestEnv.process(TestEnv.rpullCommand("-a", TestEnv.containerd(), "-n", ns, "--plain-http",
        "--download-blobs", "-o", "json", image), TestEnv.agent()).start();
    TestEnv.awaitBytesFetched(client);
    long agentPid = Long.parseLong(Files.readString(Path.of(TestEnv.get("RPULL_TESTENV_DIR"), "rpulld/rpulld.pid"))
        .strip());
    assertEquals(0, new ProcessBuilder("kill", "-KILL", String.valueOf(agentPid)).start().waitFor());
    assertTrue(client.waitFor(30, TimeUnit.SECONDS));
    String stderr = new String(client.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(ExitCode.CONTAINERD.code, client.exitValue(), stderr);
    assertTrue(stderr.contains("stopped before the command finished") && stderr.lines().count() == 1, stderr);
    assertEquals("", OverlaybdPullIT.imageRow(ns), "no image record for an incomplete image");

    TestEnv.Run restart = TestEnv.run(List.of(TestEnv.projectRoot().resolve("testenv/rpulld").toString(), "start"),
        Map.of());
    assertEquals(0, restart.exitCode(), restart.toString());
    TestEnv.Run again = TestEnv.rpullThroughAgent("-a", TestEnv.containerd(), "-n", ns, "--plain-http",
        "--download-blobs", image);
    assertEquals(0, again.exitCode(), again.toString());
    TestEnv.assertRefetchedAtMostOneWindow(log, before, bigLayer, layers.get(bigLayer));
  }

  @Test
  void theThinClient_loadsOnlyJdkClasses_beforeHandingOver() throws Exception {
    Path classes = Files.createTempFile("rpull-classes", ".log");
    String jar = TestEnv.projectRoot().resolve("rpull-cli/target/rpull-all.jar").toString();
    TestEnv.Run run = TestEnv.run(List.of("java", "-Xlog:class+load=info:file=" + classes, "-jar", jar, "-a",
        TestEnv.containerd(), "-n", TestEnv.namespace("thin"), "--plain-http", "--concurrency", "0", "x"),
        TestEnv.agent());
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.stderr().contains("--concurrency"), "the agent answered: " + run);
    List<String> loaded = Files.readAllLines(classes);
    List<String> heavy = loaded.stream().filter(l -> l.matches(
        ".*\\b(picocli|io\\.grpc|io\\.netty|okhttp3|okio|com\\.fasterxml|com\\.google)\\..*")).toList();
    assertEquals(List.of(), heavy);
    assertTrue(loaded.stream().anyMatch(l -> l.contains("io.rpull.cli.AgentClient")), "the client ran");
  }

  @Test
  void metricsAndHealth_areServedOnLoopback() throws Exception {
    TestEnv.Run pull = TestEnv.rpullThroughAgent("-a", TestEnv.containerd(), "-n", TestEnv.namespace("metrics"),
        "--plain-http", TestEnv.get("RPULL_REGISTRY") + "/rpull/nope:v1");
    assertEquals(3, pull.exitCode(), pull.toString());
    HttpClient http = HttpClient.newHttpClient();
    String base = "http://" + TestEnv.get("RPULL_RPULLD_METRICS");
    HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, metrics.statusCode());
    String registry = TestEnv.get("RPULL_REGISTRY");
    assertTrue(metrics.body().contains("rpull_pull_failures_total{class=\"not_found\",registry=\"" + registry + "\"}"),
        metrics.body());
    assertTrue(metrics.body().contains("rpull_pull_duration_seconds_count{registry=\"" + registry
        + "\",result=\"failure\"}"), metrics.body());
    assertTrue(metrics.body().contains("rpull_pulls_in_flight"), metrics.body());
    HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, health.statusCode());
  }

  @Test
  void bothSockets_areRootOnly_byDefault() throws Exception {
    for (String socket : List.of(TestEnv.get(TestEnv.AGENT_SOCKET), TestEnv.get("RPULL_CRI_SOCKET"))) {
      assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
          Files.getPosixFilePermissions(Path.of(socket))), socket);
    }
  }
}
