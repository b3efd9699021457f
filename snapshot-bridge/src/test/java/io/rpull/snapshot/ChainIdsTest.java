package io.rpull.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rpull.types.Digest;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ChainIdsTest {
  @Test
  void chainIds_matchWhatContainerdNamedTheSnapshotsOfAReferencePull() {
    // diffIDs of the seeded overlaybd test image and the snapshot names ctr rpull gave them.
    List<Digest> diffIds = Stream.of(
        "sha256:ae5edc9ce440c85ce26b82c87d372e19a1ceb1f0031cb2f4b216e3f7fcc5c5aa",
        "sha256:364d4cb073aaaafc612919dcef266b3061cfa14d4132fc37c8b90636341914f3",
        "sha256:30a260a07289214dca7f33350550a0ab35bc213ca9368d2c291763144c63621e",
        "sha256:8a4dd3bd7251a0be5ae47f71db7226e857a06e242e792d63a0a27fee47156e50").map(Digest::parse).toList();
    assertEquals(Stream.of(
        "sha256:ae5edc9ce440c85ce26b82c87d372e19a1ceb1f0031cb2f4b216e3f7fcc5c5aa",
        "sha256:73bcd9ba1eaffd44d3c20700511ae00e9d2a7b8211e3afa7e8c77a9ba21a0d8e",
        "sha256:14a86a434b5e8f2897be932b13ac473badf23d6536b79a4578bd02e6fa53ca3e",
        "sha256:0b1002815db609b9670321619f7b2f3f138062c7dde425fae682cff6fc05a617").map(Digest::parse).toList(),
        ChainIds.of(diffIds));
  }

  @Test
  void noLayers_noChain() {
    assertEquals(List.of(), ChainIds.of(List.of()));
  }
}
