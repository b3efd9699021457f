package io.rpull.fetch;

import okhttp3.HttpUrl;

/** Where a registry's {@code /v2/} API answers: scheme and host[:port]. */
public record RegistryEndpoint(String scheme, String host) {
  public RegistryEndpoint {
    if (!scheme.equals("https") && !scheme.equals("http")) {
      throw new IllegalArgumentException("unsupported scheme " + scheme);
    }
  }

  /**
   * The endpoint for a reference's registry. {@code docker.io} is served by
   * {@code registry-1.docker.io}, as containerd's default host configuration has it.
   */
  public static RegistryEndpoint forRegistry(String registry, boolean plainHttp) {
    String host = registry.equals("docker.io") ? "registry-1.docker.io" : registry;
    return new RegistryEndpoint(plainHttp ? "http" : "https", host);
  }

  public HttpUrl url(String repository, String kind, String object) {
    return HttpUrl.get(scheme + "://" + host + "/v2/" + repository + "/" + kind + "/" + object);
  }
}
