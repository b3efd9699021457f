package io.rpull.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Registry access against the real test environment: HTTPS with a CA from hosts.toml, htpasswd
 * Basic auth, a mirror that is down, and nginx redirecting blob GETs to another host name.
 */
class RegistryAccessIT {
  private final String user = TestEnv.get("RPULL_REGISTRY_USER") + ":" + TestEnv.get("RPULL_REGISTRY_PASSWORD");
  private final String tlsImage = TestEnv.get("RPULL_REGISTRY_TLS") + "/rpull/obd:v1";

  @Test
  void https_withTheCaFromHostsToml_andBasicAuth_pullsCompletely() throws Exception {
    String ns = TestEnv.namespace("tls");
    TestEnv.Run run = TestEnv.rpull("-a", TestEnv.containerd(), "-n", ns, "--hosts-dir", TestEnv.get("RPULL_HOSTS_DIR"),
        "-u", user, "--download-blobs", tlsImage);
    assertEquals(0, run.exitCode(), run.toString());
    TestEnv.Run check = TestEnv.ctr(ns, "images", "check");
    assertTrue(check.stdout().contains("complete (5/5)"), check.toString());
    assertFalse(run.stderr().contains(TestEnv.get("RPULL_REGISTRY_PASSWORD")));
  }

  @Test
  void https_withTheCaFlag_works_andWithoutAnyCa_failsVerification() throws Exception {
    TestEnv.Run withFlag = TestEnv.rpull("-a", TestEnv.containerd(), "-n", TestEnv.namespace("tlsflag"),
        "--tlscacert", TestEnv.get("RPULL_CA_CERT"), "-u", user, tlsImage);
    assertEquals(0, withFlag.exitCode(), withFlag.toString());

    String ns = TestEnv.namespace("notrust");
    TestEnv.Run untrusted = TestEnv.rpull("-a", TestEnv.containerd(), "-n", ns, "-u", user, tlsImage);
    assertEquals(ExitCode.NETWORK.code, untrusted.exitCode(), untrusted.toString());
    assertTrue(untrusted.stderr().contains("TLS verification failed"), untrusted.toString());
    assertEquals("", OverlaybdPullIT.imageRow(ns));
  }

  @Test
  void basicAuth_missingOrWrongCredentials_isAnAuthError_thatNeverPrintsTheSecret() throws Exception {
    String hosts = TestEnv.get("RPULL_HOSTS_DIR");
    TestEnv.Run anonymous = TestEnv.rpull("-a", TestEnv.containerd(), "-n", TestEnv.namespace("anon"),
        "--hosts-dir", hosts, tlsImage);
    assertEquals(ExitCode.AUTH.code, anonymous.exitCode(), anonymous.toString());
    assertTrue(anonymous.stderr().contains("401"), anonymous.toString());

    TestEnv.Run wrong = TestEnv.rpull("-a", TestEnv.containerd(), "-n", TestEnv.namespace("wrong"),
        "--hosts-dir", hosts, "-u", "rpull:not-the-password-7319", tlsImage);
    assertEquals(ExitCode.AUTH.code, wrong.exitCode(), wrong.toString());
    assertFalse(wrong.stderr().contains("not-the-password-7319"), wrong.toString());
    assertEquals(1, wrong.stderr().strip().lines().count(), wrong.toString());
  }

  @Test
  void mirrorThatIsDown_fallsBackToTheServer() throws Exception {
    String ns = TestEnv.namespace("mirror");
    TestEnv.Run run = TestEnv.rpull("-a", TestEnv.containerd(), "-n", ns, "--plain-http", "--hosts-dir",
        TestEnv.get("RPULL_HOSTS_DIR_MIRROR_DOWN"), "--download-blobs", TestEnv.image("OBD"));
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(TestEnv.ctr(ns, "images", "check").stdout().contains("complete (5/5)"));
  }

  @Test
  void redirectToAnotherHost_carriesNoCredentials_provenByNginxsOwnLogs() throws Exception {
    Path front = Path.of(TestEnv.get("RPULL_NGINX_FRONT_LOG"));
    Path storage = Path.of(TestEnv.get("RPULL_NGINX_STORAGE_LOG"));
    long frontBefore = lines(front).size();
    long storageBefore = lines(storage).size();
    String ns = TestEnv.namespace("redirect");
    TestEnv.Run run = TestEnv.rpull("-a", TestEnv.containerd(), "-n", ns, "--plain-http", "-u", user,
        "--download-blobs", TestEnv.get("RPULL_REDIRECT_REGISTRY") + "/rpull/obd-redirect:v1");
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(TestEnv.ctr(ns, "images", "check").stdout().contains("complete (3/3)"));

    List<String> frontLines = lines(front).subList((int) frontBefore, lines(front).size());
    List<String> storageLines = lines(storage).subList((int) storageBefore, lines(storage).size());
    assertTrue(frontLines.stream().anyMatch(l -> l.contains(" 307 ") && l.contains("auth=\"Basic ")),
        "the registry front got the credentials and redirected: " + frontLines);
    assertTrue(storageLines.size() >= 5, "blobs came from the storage host: " + storageLines);
    assertTrue(storageLines.stream().allMatch(l -> l.endsWith("auth=\"-\"")),
        "no Authorization may reach the storage host: " + storageLines);
    // Chunks of one blob reuse the storage URL instead of asking the registry again.
    long redirects = frontLines.stream().filter(l -> l.contains(" 307 ")).count();
    assertTrue(redirects < storageLines.size(), "redirects " + redirects + ", storage GETs " + storageLines.size());
  }

  private static List<String> lines(Path file) throws Exception {
    return Files.exists(file) ? Files.readAllLines(file) : List.of();
  }
}
