package io.rpull.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Bad input fails with one clear line and a distinct exit code, and leaves nothing behind in containerd. */
class FailuresIT {
  @Test
  void missingTag_isNotFound_andCreatesNoImageRecord() throws Exception {
    String ns = TestEnv.namespace("missing");
    String ref = TestEnv.get("RPULL_REGISTRY") + "/rpull/obd:no-such-tag";
    TestEnv.Run run = TestEnv.rpull("-a", TestEnv.containerd(), "-n", ns, "--plain-http", "--download-blobs", ref);
    assertEquals(ExitCode.NOT_FOUND.code, run.exitCode(), run.toString());
    assertEquals(1, run.stderr().strip().lines().count(), run.toString());
    assertTrue(run.stderr().startsWith("ctr: resolve " + ref + ": not found"), run.toString());
    assertEquals("", OverlaybdPullIT.imageRow(ns));
    assertEquals(0, OverlaybdPullIT.snapshotTable(ns).size());
  }

  @Test
  void missingRepository_isNotFound() throws Exception {
    TestEnv.Run run = TestEnv.rpull("-a", TestEnv.containerd(), "-n", TestEnv.namespace("norepo"), "--plain-http",
        TestEnv.get("RPULL_REGISTRY") + "/rpull/does-not-exist:v1");
    assertEquals(ExitCode.NOT_FOUND.code, run.exitCode(), run.toString());
  }

  @Test
  void unknownPlatform_isNotFound_andCreatesNoImageRecord() throws Exception {
    String ns = TestEnv.namespace("platform");
    TestEnv.Run run = TestEnv.rpull("-a", TestEnv.containerd(), "-n", ns, "--plain-http", "--platform", "linux/s390x",
        TestEnv.image("INDEX"));
    assertEquals(ExitCode.NOT_FOUND.code, run.exitCode(), run.toString());
    assertTrue(run.stderr().contains("no match for platform linux/s390x"), run.toString());
    assertEquals("", OverlaybdPullIT.imageRow(ns));
  }

  @Test
  void httpsConfiguredForAPlainHttpRegistry_failsAsANetworkError_namingPlainHttp() throws Exception {
    // An explicit https server gets no fallback (only an unconfigured loopback registry does, as in containerd).
    java.nio.file.Path hosts = java.nio.file.Files.createTempDirectory("rpull-hosts");
    java.nio.file.Path dir = java.nio.file.Files.createDirectories(hosts.resolve(TestEnv.get("RPULL_REGISTRY")));
    java.nio.file.Files.writeString(dir.resolve("hosts.toml"), "server = \"https://" + TestEnv.get("RPULL_REGISTRY") + "\"\n");
    TestEnv.Run run = TestEnv.rpull("-a", TestEnv.containerd(), "-n", TestEnv.namespace("tls"), "--hosts-dir",
        hosts.toString(), TestEnv.image("OBD"));
    assertEquals(ExitCode.NETWORK.code, run.exitCode(), run.toString());
    assertTrue(run.stderr().startsWith("ctr: ") && run.stderr().contains("--plain-http"), run.toString());
  }

  @Test
  void sigterm_printsOneLine_andAnInterruptedResult_exits143_andLeavesNoImageRecord() throws Exception {
    String ns = TestEnv.namespace("sigterm");
    String image = TestEnv.image("SIGNAL");
    Process pull = TestEnv.process(TestEnv.rpullCommand("-a", TestEnv.containerd(), "-n", ns, "--plain-http",
        "--download-blobs", "--max-bandwidth", "4MiB", "-o", "json", image), java.util.Map.of()).start();
    java.io.BufferedReader out = TestEnv.awaitBytesFetched(pull);
    // Not Process.destroy(): it closes our end of the pipes before the output that follows the signal.
    assertEquals(0, new ProcessBuilder("kill", "-TERM", String.valueOf(pull.pid())).start().waitFor());
    java.util.List<String> rest = out.lines().toList();
    String stderr = new String(pull.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(143, pull.waitFor());
    String result = rest.get(rest.size() - 1);
    assertTrue(result.contains("\"failure\":\"interrupted\"") && result.contains("\"exit_code\":143"), result);
    assertEquals(1, stderr.lines().count(), stderr);
    assertTrue(stderr.startsWith("ctr: interrupted: ") && stderr.contains("run the same command again"), stderr);
    assertEquals("", OverlaybdPullIT.imageRow(ns), "no image record for an interrupted pull");
  }
}
