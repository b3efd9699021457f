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
  String create(Duration expiry);

  /** Deletes a lease; what it protected is then protected only by references to it. */
  void delete(String id);

  /** Adds a resource, e.g. type {@code snapshots/overlaybd} or {@code content}, to a lease. */
  void addResource(String leaseId, String type, String resourceId);
}
