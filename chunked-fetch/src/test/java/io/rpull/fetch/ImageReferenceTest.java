package io.rpull.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rpull.types.Failure;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ImageReferenceTest {
  private static final String HEX = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

  @Test
  void parse_hostPortRepositoryTag() {
    ImageReference ref = ImageReference.parse("127.0.0.1:5000/rpull/obd:v1");
    assertEquals("127.0.0.1:5000", ref.registry());
    assertEquals("rpull/obd", ref.repository());
    assertEquals(Optional.of("v1"), ref.tag());
    assertEquals("v1", ref.object());
  }

  @Test
  void parse_tagAndDigest_objectIsTheDigest() {
    ImageReference ref = ImageReference.parse("registry.example.com/a/b-c__d:tag@sha256:" + HEX);
    assertEquals(Optional.of("tag"), ref.tag());
    assertEquals("sha256:" + HEX, ref.object());
    assertEquals("registry.example.com/a/b-c__d:tag@sha256:" + HEX, ref.toString());
  }

  @Test
  void parse_ipv6Host() {
    assertEquals("[::1]:5000", ImageReference.parse("[::1]:5000/x:y").registry());
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "", "alpine", "alpine:latest", "reg.example.com/UPPER:x", "reg.example.com/x", "reg/../x:y", "reg/a//b:c",
    "reg/x:-tag", "reg/x:.tag", "reg/x y:z", "reg/x:y\n", "http://reg/x:y", "reg:99999/x:y",
    "reg/x@sha256:abc", "reg/x@md5:0123", "reg/x@sha256:" + "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
  })
  void parse_rejectsInvalidReferences(String text) {
    InvalidReferenceException e = assertThrows(InvalidReferenceException.class, () -> ImageReference.parse(text));
    assertTrue(e.getMessage().startsWith("parse \""), e.getMessage());
    assertEquals(Failure.USAGE, e.failure());
  }

  @Test
  void parse_hostlessReference_saysAHostIsRequired() {
    InvalidReferenceException e = assertThrows(InvalidReferenceException.class, () -> ImageReference.parse("alpine:3"));
    assertTrue(e.getMessage().contains("registry host is required"), e.getMessage());
  }

  @Test
  void parse_rejectsOverlongName() {
    String longRepo = "a".repeat(250);
    assertThrows(InvalidReferenceException.class, () -> ImageReference.parse("reg.example.com/" + longRepo + ":t"));
  }

}
