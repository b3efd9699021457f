package io.rpull.snapshot;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Snapshot names: the OCI chain ID of each layer, {@code chain[0] = diffID[0]} and
 * {@code chain[i] = sha256(chain[i-1] + " " + diffID[i])}.
 */
public final class ChainIds {
  private ChainIds() {}

  public static List<String> of(List<String> diffIds) {
    List<String> chain = new ArrayList<>(diffIds.size());
    for (String diffId : diffIds) {
      chain.add(chain.isEmpty() ? diffId : sha256(chain.get(chain.size() - 1) + " " + diffId));
    }
    return List.copyOf(chain);
  }

  private static String sha256(String text) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.US_ASCII));
      return "sha256:" + HexFormat.of().formatHex(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  }
}
