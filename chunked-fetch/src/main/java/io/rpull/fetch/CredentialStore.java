package io.rpull.fetch;

import java.util.Optional;

/** Where credentials for a registry host come from. Lookups are by exact host[:port]. */
@FunctionalInterface
public interface CredentialStore {
  /** Credentials for {@code host} (host[:port] as in the image reference); empty for anonymous. */
  Optional<Credentials> lookup(String host);

  CredentialStore NONE = host -> Optional.empty();

  /** Credentials given for exactly one host (ctr's {@code --user}), never offered to another. */
  static CredentialStore forHost(String host, Credentials credentials) {
    return h -> h.equals(host) || DockerHub.sameRegistry(h, host) ? Optional.of(credentials) : Optional.empty();
  }

  /** This store first, then {@code next}. */
  default CredentialStore orElse(CredentialStore next) {
    return h -> {
      Optional<Credentials> c = lookup(h);
      return c.isPresent() ? c : next.lookup(h);
    };
  }
}
