package io.rpull.fetch;

import java.util.Objects;

/**
 * A username and secret for one registry host. An empty username means the secret is an identity
 * (refresh) token, as docker's {@code identitytoken} and ctr's {@code --refresh} give.
 */
public record Credentials(String username, String secret) {
  public Credentials {
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(secret, "secret");
  }

  public boolean isIdentityToken() {
    return username.isEmpty() || username.equals("<token>");
  }

  /** Never prints the secret. */
  @Override
  public String toString() {
    return "Credentials[" + username + ", ***]";
  }
}
