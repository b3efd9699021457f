package io.rpull.agent;

import io.rpull.fetch.Credentials;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * A PullImage request's AuthConfig, as containerd's CRI reads it: for the image's own registry
 * only (a server_address naming another host gets nothing), username and password first, then an
 * identity token, then the base64 {@code auth} pair.
 */
public record CriAuth(String username, String password, String auth, String serverAddress, String identityToken,
    String registryToken) {
  public static final CriAuth NONE = new CriAuth("", "", "", "", "", "");

  public Optional<Credentials> credentialsFor(String registry) {
    if (!serverAddress.isEmpty() && !host(serverAddress).equals(registry)) {
      return Optional.empty();
    }
    if (!username.isEmpty()) {
      return Optional.of(new Credentials(username, password));
    }
    if (!identityToken.isEmpty()) {
      return Optional.of(new Credentials("", identityToken));
    }
    if (!auth.isEmpty()) {
      String pair;
      try {
        pair = new String(Base64.getDecoder().decode(auth.strip()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("the auth field of AuthConfig is not base64");
      }
      int colon = pair.indexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException("the auth field of AuthConfig is not base64 of username:password");
      }
      return Optional.of(new Credentials(pair.substring(0, colon), pair.substring(colon + 1)));
    }
    return Optional.empty();
  }

  /** server_address as kubelet and docker write it: a host, or a URL. */
  private static String host(String address) {
    if (address.contains("://")) {
      URI uri = URI.create(address);
      return uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
    }
    int slash = address.indexOf('/');
    return slash < 0 ? address : address.substring(0, slash);
  }

  /** Never prints a secret. */
  @Override
  public String toString() {
    return "CriAuth[" + username + "@" + serverAddress + "]";
  }
}
