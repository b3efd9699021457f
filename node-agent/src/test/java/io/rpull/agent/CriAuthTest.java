package io.rpull.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.rpull.fetch.Credentials;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CriAuthTest {
  private static CriAuth auth(String user, String password, String pair, String server, String identity) {
    return new CriAuth(user, password, pair, server, identity, "");
  }

  @Test
  void usernameAndPassword_forTheImagesRegistry() {
    assertEquals(Optional.of(new Credentials("u", "p")), auth("u", "p", "", "", "").credentialsFor("r.example:5000"));
  }

  @Test
  void aServerAddressNamingAnotherHost_getsNothing() {
    assertEquals(Optional.empty(), auth("u", "p", "", "other.example", "").credentialsFor("r.example"));
    assertEquals(Optional.empty(), auth("u", "p", "", "https://other.example/v2/", "").credentialsFor("r.example"));
    assertEquals(Optional.of(new Credentials("u", "p")),
        auth("u", "p", "", "https://r.example:5000", "").credentialsFor("r.example:5000"));
  }

  @Test
  void identityToken_thenTheBase64Pair() {
    assertEquals(Optional.of(new Credentials("", "tok")), auth("", "", "", "", "tok").credentialsFor("r"));
    String pair = Base64.getEncoder().encodeToString("alice:s3:cret".getBytes(StandardCharsets.UTF_8));
    assertEquals(Optional.of(new Credentials("alice", "s3:cret")), auth("", "", pair, "", "").credentialsFor("r"));
    assertThrows(IllegalArgumentException.class, () -> auth("", "", "%%%", "", "").credentialsFor("r"));
  }

  @Test
  void nothingGiven_isAnonymous_andSecretsAreNeverPrinted() {
    assertEquals(Optional.empty(), CriAuth.NONE.credentialsFor("r"));
    assertFalse(auth("u", "hunter2", "", "", "").toString().contains("hunter2"));
  }
}
