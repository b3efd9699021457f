package io.rpull.snapshot;

import io.rpull.containerd.ContentStore;
import io.rpull.containerd.ImageStore;
import io.rpull.containerd.Leases;
import java.util.Optional;

/**
 * What a pull needs of one containerd namespace, as interfaces with domain types only: the gRPC
 * adapters implement it for a real daemon, the engine's tests with in-memory fakes.
 */
public interface ContainerdNamespace {
  String name();

  ContentStore content();

  ImageStore images();

  Leases leases();

  Snapshotter snapshotter(String name);

  Applier applier();

  /** The same namespace, every call of which is made under lease {@code leaseId}. */
  ContainerdNamespace withLease(String leaseId);

  /** The lease calls are made under, if any. */
  Optional<String> leaseId();
}
