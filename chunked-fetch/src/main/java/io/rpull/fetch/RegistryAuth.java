package io.rpull.fetch;

import java.io.IOException;
import java.util.Optional;
import okhttp3.HttpUrl;
import okhttp3.Response;

/** Supplies the Authorization header for requests to a registry's own origin. */
public interface RegistryAuth {
  /** The header value to send to {@code url}, which is always on the registry's origin. */
  Optional<String> authorization(HttpUrl url);

  /**
   * Called with a 401 answer from the registry. Returns true when new credentials were obtained and
   * the request is worth repeating once.
   */
  boolean onUnauthorized(Response unauthorized) throws IOException;

  /** Anonymous access to a registry that asks for no authentication. */
  RegistryAuth ANONYMOUS = new RegistryAuth() {
    @Override
    public Optional<String> authorization(HttpUrl url) {
      return Optional.empty();
    }

    @Override
    public boolean onUnauthorized(Response unauthorized) {
      return false;
    }
  };
}
