package io.rpull.fetch;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import okhttp3.HttpUrl;

/**
 * One place a registry's content can be fetched from, in containerd's {@code hosts.toml} sense:
 * the upstream server or a mirror, with what it may be used for and how to reach it.
 *
 * @param apiRoot URL that repository paths are appended to ({@code https://host/v2/}, or the
 *     configured path itself with {@code override_path})
 * @param mirror true for a mirror ({@code [host."..."]}), false for the upstream server
 * @param proxyFor the registry this host serves content for when it is not that registry itself
 *     (a mirror, a pull-through cache, Dragonfly, Spegel): sent as containerd's {@code ns=} query
 *     parameter on every request, which such hosts need to tell registries apart; empty otherwise
 * @param httpFallback an https host that may answer plain HTTP, retried over http when it does:
 *     containerd's rule for a loopback registry configured by nobody (no hosts.toml, no --plain-http)
 */
public record RegistryHost(HttpUrl apiRoot, Set<Capability> capabilities, TlsSettings tls, Map<String, String> headers,
    boolean mirror, Optional<String> proxyFor, boolean httpFallback) {
  /** What a host may be asked for. */
  public enum Capability {
    PULL,
    RESOLVE,
    PUSH
  }

  public RegistryHost {
    Objects.requireNonNull(apiRoot, "apiRoot");
    capabilities = Set.copyOf(capabilities);
    headers = Map.copyOf(headers);
    Objects.requireNonNull(proxyFor, "proxyFor");
    if (!apiRoot.encodedPath().endsWith("/")) {
      apiRoot = apiRoot.newBuilder().addPathSegment("").build();
    }
  }

  public boolean can(Capability capability) {
    return capabilities.contains(capability);
  }

  public HttpUrl url(String repository, String kind, String object) {
    HttpUrl.Builder b = apiRoot.newBuilder();
    // apiRoot ends with an empty segment ("/"); replace it with the first real one.
    b.removePathSegment(apiRoot.pathSize() - 1);
    for (String segment : repository.split("/")) {
      b.addPathSegment(segment);
    }
    b.addPathSegment(kind).addPathSegment(object);
    proxyFor.ifPresent(registry -> b.addQueryParameter("ns", registry));
    return b.build();
  }

  /** host[:port] as shown to people. */
  public String authority() {
    int defaultPort = HttpUrl.defaultPort(apiRoot.scheme());
    return apiRoot.port() == defaultPort ? apiRoot.host() : apiRoot.host() + ":" + apiRoot.port();
  }
}
