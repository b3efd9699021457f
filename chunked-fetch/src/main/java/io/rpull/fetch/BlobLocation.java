package io.rpull.fetch;

import io.rpull.types.Digest;
import io.rpull.types.Failure;
import java.util.List;

/** A blob to download: the hosts that may serve it, in order, and the size and digest it must have. */
public record BlobLocation(List<RegistryHost> hosts, String repository, Digest digest, long size) {
  public BlobLocation {
    hosts = hosts.stream().filter(h -> h.can(RegistryHost.Capability.PULL)).toList();
    if (hosts.isEmpty()) {
      throw new RegistryException(Failure.USAGE,
          "no host with the pull capability is configured for " + repository);
    }
  }
}
