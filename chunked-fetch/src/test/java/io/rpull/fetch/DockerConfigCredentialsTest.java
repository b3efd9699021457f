package io.rpull.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rpull.types.Failure;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerConfigCredentialsTest {
  @TempDir
  Path dir;

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /** Helpers are shell scripts standing in for docker-credential-<name>. */
  private CredentialHelper helpers(String script, Duration timeout) {
    return new CredentialHelper(cmd -> new ProcessBuilder("sh", "-c", script), timeout);
  }

  private CredentialStore load(String json, CredentialHelper helpers) throws Exception {
    Path file = Files.writeString(dir.resolve("config.json"), json);
    return DockerConfigCredentials.load(file, helpers);
  }

  @Test
  void auths_matchExactHostAndPort_andDockerHubAliases() throws Exception {
    CredentialStore store = load("{\"auths\":{"
        + "\"reg.example.com:5000\":{\"auth\":\"" + b64("alice:pw1") + "\"},"
        + "\"https://index.docker.io/v1/\":{\"auth\":\"" + b64("bob:pw2") + "\"}}}", CredentialHelper.system());
    assertEquals(new Credentials("alice", "pw1"), store.lookup("reg.example.com:5000").orElseThrow());
    assertTrue(store.lookup("reg.example.com").isEmpty());
    assertTrue(store.lookup("reg.example.com:5001").isEmpty());
    assertTrue(store.lookup("evil.reg.example.com:5000").isEmpty());
    assertEquals("bob", store.lookup("docker.io").orElseThrow().username());
    assertEquals("bob", store.lookup("registry-1.docker.io").orElseThrow().username());
  }

  @Test
  void identityToken_becomesARefreshToken() throws Exception {
    CredentialStore store = load("{\"auths\":{\"r.example.com\":{\"identitytoken\":\"idt\"}}}",
        CredentialHelper.system());
    assertTrue(store.lookup("r.example.com").orElseThrow().isIdentityToken());
  }

  @Test
  void credHelper_isAskedForItsHost() throws Exception {
    CredentialStore store = load("{\"credHelpers\":{\"r.example.com\":\"fake\"}}",
        helpers("read host; printf '{\"Username\":\"u-%s\",\"Secret\":\"s\"}' \"$host\"", Duration.ofSeconds(5)));
    assertEquals(new Credentials("u-r.example.com", "s"), store.lookup("r.example.com").orElseThrow());
  }

  @Test
  void failingHelper_isAnError_notAFallback_andDoesNotEchoItsOutput() throws Exception {
    CredentialStore store = load("{\"credsStore\":\"broken\",\"auths\":{\"r.example.com\":{\"auth\":\""
        + b64("fallback:secret") + "\"}}}", helpers("echo token=LEAKED; exit 3", Duration.ofSeconds(5)));
    RegistryException e = assertThrows(RegistryException.class, () -> store.lookup("r.example.com"));
    assertEquals(Failure.AUTH, e.failure());
    assertTrue(e.getMessage().contains("exited with status 3"), e.getMessage());
    assertFalse(e.getMessage().contains("LEAKED"));
  }

  @Test
  void helperWithoutCredentials_meansAnonymous() throws Exception {
    CredentialStore store = load("{\"credsStore\":\"empty\"}",
        helpers("echo 'credentials not found in native keychain'; exit 1", Duration.ofSeconds(5)));
    assertEquals(Optional.empty(), store.lookup("r.example.com"));
  }

  @Test
  void hangingHelper_timesOut() throws Exception {
    CredentialStore store = load("{\"credsStore\":\"slow\"}", helpers("sleep 30", Duration.ofMillis(300)));
    assertTrue(assertThrows(RegistryException.class, () -> store.lookup("r.example.com")).getMessage()
        .contains("did not answer"));
  }

  @Test
  void malformedConfig_namesTheFile_neverItsContent() throws Exception {
    RegistryException e = assertThrows(RegistryException.class,
        () -> load("{\"auths\":{\"r\":{\"auth\":\"c2VjcmV0\"}", CredentialHelper.system()));
    assertTrue(e.getMessage().contains("config.json"));
    assertFalse(e.getMessage().contains("c2VjcmV0"));
    CredentialStore badBase64 = load("{\"auths\":{\"r\":{\"auth\":\"%%%\"}}}", CredentialHelper.system());
    assertThrows(RegistryException.class, () -> badBase64.lookup("r"));
  }

  @Test
  void noConfigFile_meansNoCredentials() {
    assertTrue(DockerConfigCredentials.load(dir.resolve("absent.json"), CredentialHelper.system())
        .lookup("x").isEmpty());
    assertEquals("index.docker.io", DockerConfigCredentials.normalize("https://index.docker.io/v1/"));
    assertEquals(List.of(), List.of());
  }
}
