package io.rpull.snapshot;

import io.rpull.types.Digest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Snapshot names: the OCI chain ID of each layer, {@code chain[0] = diffID[0]} and
 * {@code chain[i] = sha256(chain[i-1] + " " + diffID[i])}.
 */
public final class ChainIds {
  private ChainIds() {}

  public static List<Digest> of(List<Digest> diffIds) {
    List<Digest> chain = new ArrayList<>(diffIds.size());
    for (Digest diffId : diffIds) {
      chain.add(chain.isEmpty() ? diffId
          : Digest.sha256Of((chain.get(chain.size() - 1) + " " + diffId).getBytes(StandardCharsets.US_ASCII)));
    }
    return List.copyOf(chain);
  }
}
