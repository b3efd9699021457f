package io.rpull.engine;

import io.rpull.containerd.ContainerdException;
import io.rpull.containerd.Leases;
import io.rpull.snapshot.ContainerdNamespace;
import java.util.Map;

/**
 * What a pull of an image that was killed left in its namespace: its lease (which would pin its
 * content for 24 h), the active {@code extract-} snapshots it was unpacking into, and its partial
 * downloads. The next pull of the same image takes the lease over: downloads and committed content
 * move to the new lease (so they resume), unfinished snapshots are removed (they are prepared
 * again), and the old lease is deleted. Only leases rpull made, for this image, whose process has
 * ended are touched.
 */
final class Leftovers {
  static final String OWNER_LABEL = "rpull/owner";
  static final String IMAGE_LABEL = "rpull/image";
  private static final String SNAPSHOTS = "snapshots/";

  private Leftovers() {}

  /** The labels of a pull's own lease. */
  static Map<String, String> labels(String image) {
    return Map.of(OWNER_LABEL, ProcessOwner.current(), IMAGE_LABEL, image);
  }

  /** Moves what ended pulls of {@code image} left into lease {@code into}; returns how many leases it took over. */
  static int adopt(ContainerdNamespace namespace, String image, String into) {
    Leases leases = namespace.leases();
    int adopted = 0;
    for (Leases.Lease old : leases.withLabel(IMAGE_LABEL, image)) {
      String owner = old.labels().getOrDefault(OWNER_LABEL, "");
      if (old.id().equals(into) || owner.isEmpty() || !ProcessOwner.hasEnded(owner)) {
        continue;
      }
      for (Leases.Resource r : leases.resources(old.id())) {
        if (r.type().startsWith(SNAPSHOTS) && r.id().startsWith("extract-")) {
          removeQuietly(namespace, r.type().substring(SNAPSHOTS.length()), r.id());
        } else {
          leases.addResource(into, r.type(), r.id());
        }
      }
      leases.delete(old.id());
      adopted++;
    }
    return adopted;
  }

  private static void removeQuietly(ContainerdNamespace namespace, String snapshotter, String key) {
    try {
      namespace.snapshotter(snapshotter).remove(key);
    } catch (ContainerdException e) {
      // Gone already, or still in use: either way the lease's expiry no longer protects it.
    }
  }
}
