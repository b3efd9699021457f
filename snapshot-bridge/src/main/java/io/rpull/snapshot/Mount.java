package io.rpull.snapshot;

import java.util.List;

/** A mount a snapshotter returns for an active snapshot. */
public record Mount(String type, String source, String target, List<String> options) {
  public Mount {
    options = List.copyOf(options);
  }
}
