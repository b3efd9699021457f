package io.rpull.containerd;

import java.time.Duration;

/**
 * Leases protect what a pull creates from garbage collection until the image record exists. Every
 * lease rpull makes expires ({@code containerd.io/gc.expire}), so a pull that dies never pins its
 * content forever.
 */
public interface Leases {
  String EXPIRE_LABEL = "containerd.io/gc.expire";
  Duration PULL_LEASE_EXPIRY = Duration.ofHours(24);

  /** Creates a lease that expires after {@code expiry}; returns its id. */
  default String create(Duration expiry) {
    return create(expiry, java.util.Map.of());
  }

  /** Creates a lease that expires after {@code expiry}, with {@code labels}; returns its id. */
  String create(Duration expiry, java.util.Map<String, String> labels);

  /** A lease: its id and labels. */
  record Lease(String id, java.util.Map<String, String> labels) {
    public Lease {
      labels = java.util.Map.copyOf(labels);
    }
  }

  /** What a lease holds: {@code type} is {@code content}, {@code ingests}, {@code snapshots/<snapshotter>}. */
  record Resource(String type, String id) {}

  /** The leases of this namespace that have label {@code key} set to {@code value}. */
  java.util.List<Lease> withLabel(String key, String value);

  /** What lease {@code id} holds. */
  java.util.List<Resource> resources(String id);

  /** Deletes a lease; what it protected is then protected only by references to it. */
  void delete(String id);

  /** Adds a resource, e.g. type {@code snapshots/overlaybd} or {@code content}, to a lease. */
  void addResource(String leaseId, String type, String resourceId);
}
