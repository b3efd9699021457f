package io.rpull.fetch;

import java.util.Set;

/** Docker Hub's several names, which credential stores treat as one registry. */
final class DockerHub {
  static final Set<String> ALIASES = Set.of("docker.io", "index.docker.io", "registry-1.docker.io",
      "registry.hub.docker.com");

  private DockerHub() {}

  static boolean sameRegistry(String a, String b) {
    return ALIASES.contains(a) && ALIASES.contains(b);
  }
}
