package io.rpull.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rpull.types.Digest;
import io.rpull.types.Platform;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DigestAndPlatformTest {
  @Test
  void sha256Of_emptyInput_isTheWellKnownDigest() {
    assertEquals("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        Digest.sha256Of(new byte[0]).toString());
    assertEquals(Digest.sha256Of("x".getBytes(StandardCharsets.UTF_8)),
        Digest.parse(Digest.sha256Of("x".getBytes(StandardCharsets.UTF_8)).toString()));
  }

  @Test
  void parse_rejectsTraversalShortAndUnknownAlgorithms() {
    assertThrows(IllegalArgumentException.class, () -> Digest.parse("sha256:../../etc/passwd"));
    assertThrows(IllegalArgumentException.class, () -> Digest.parse("sha256:" + "a".repeat(63)));
    assertThrows(IllegalArgumentException.class, () -> Digest.parse("sha512:" + "a".repeat(128)));
    assertThrows(IllegalArgumentException.class, () -> Digest.parse("a".repeat(64)));
  }

  @Test
  void platform_arm64WithoutVariantMatchesV8() {
    Platform wanted = Platform.parse("linux/arm64");
    assertTrue(wanted.matches(new Platform("linux", "arm64", "v8")));
    assertTrue(wanted.matches(new Platform("linux", "arm64", "")));
    assertFalse(wanted.matches(new Platform("linux", "amd64", "")));
    assertFalse(Platform.parse("linux/arm/v7").matches(new Platform("linux", "arm", "v6")));
  }

  @Test
  void platform_parseRejectsGarbage() {
    assertThrows(IllegalArgumentException.class, () -> Platform.parse("linux"));
    assertThrows(IllegalArgumentException.class, () -> Platform.parse("linux/amd64/v1/x"));
  }
}
