package io.rpull.types;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A validated content digest. Only sha256 is accepted: it is the only algorithm every containerd
 * version we write into can verify at commit, and a digest we cannot verify must never reach a URL,
 * a content-store ref or a label.
 */
public record Digest(String algorithm, String hex) {
  private static final Pattern SHA256_HEX = Pattern.compile("[a-f0-9]{64}");

  public Digest {
    if (!"sha256".equals(algorithm)) {
      throw new IllegalArgumentException("unsupported digest algorithm: " + algorithm);
    }
    if (!SHA256_HEX.matcher(hex).matches()) {
      throw new IllegalArgumentException("invalid sha256 digest: " + hex);
    }
  }

  /** Parses {@code sha256:<64 lowercase hex>}. */
  public static Digest parse(String value) {
    int colon = value.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("invalid digest: " + value);
    }
    return new Digest(value.substring(0, colon), value.substring(colon + 1));
  }

  public static Digest sha256Of(byte[] content) {
    return new Digest("sha256", HexFormat.of().formatHex(newSha256().digest(content)));
  }

  public static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return algorithm + ":" + hex;
  }
}
