package io.rpull.fetch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rpull.types.Failure;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import okhttp3.Challenge;
import okhttp3.FormBody;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Answers registry challenges: Basic with the host's credentials, Bearer with a token from the
 * challenge's realm (anonymous, with credentials, or with an identity token). Tokens are shared by
 * all connections; when one expires mid-pull, the first connection to see the 401 refreshes it
 * and the others wait and reuse the new one.
 */
public final class ChallengeAuthenticator implements RegistryAuth {
  private static final long MAX_TOKEN_BODY = 1 << 20;
  private static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofSeconds(60);

  private final CredentialStore credentials;
  private final BiFunction<HttpUrl, HttpUrl, OkHttpClient> clientForRealm;
  private final Clock clock;
  private final ObjectMapper json = new ObjectMapper();
  private final Map<String, Origin> origins = new ConcurrentHashMap<>();

  /**
   * @param clientForRealm the HTTP client for a token realm, given the registry URL that was
   *     challenged and the realm (as containerd, the registry host's TLS settings reach its realm)
   */
  public ChallengeAuthenticator(CredentialStore credentials, BiFunction<HttpUrl, HttpUrl, OkHttpClient> clientForRealm,
      Clock clock) {
    this.credentials = credentials;
    this.clientForRealm = clientForRealm;
    this.clock = clock;
  }

  /** What one registry origin asked for, and the answer we hold. */
  private static final class Origin {
    Challenge challenge;
    String header;
    Instant issued = Instant.MIN;
    Instant expires = Instant.MAX;
  }

  @Override
  public Optional<String> authorization(HttpUrl url) {
    Origin origin = origins.get(key(url));
    if (origin == null) {
      return Optional.empty();
    }
    synchronized (origin) {
      if (origin.header != null && clock.instant().isAfter(origin.expires.minusSeconds(5))
          && "bearer".equalsIgnoreCase(origin.challenge.scheme())) {
        try {
          fetchToken(url, origin);
        } catch (IOException e) {
          return Optional.ofNullable(origin.header);
        }
      }
      return Optional.ofNullable(origin.header);
    }
  }

  @Override
  public boolean onUnauthorized(Response unauthorized) throws IOException {
    HttpUrl url = unauthorized.request().url();
    String used = unauthorized.request().header("Authorization");
    Origin origin = origins.computeIfAbsent(key(url), k -> new Origin());
    synchronized (origin) {
      if (origin.header != null && !origin.header.equals(used)) {
        return true; // another connection already refreshed while this one waited
      }
      // A token refused however young it is (revoked, limited in uses, or the registry's clock
      // runs ahead) is replaced: each request is retried once after a 401, so wrong credentials
      // still end the pull, at the token service or at that one retry.
      Optional<Challenge> challenge = unauthorized.challenges().stream()
          .filter(c -> c.scheme().equalsIgnoreCase("bearer")).findFirst()
          .or(() -> unauthorized.challenges().stream().filter(c -> c.scheme().equalsIgnoreCase("basic")).findFirst());
      if (challenge.isEmpty()) {
        return false;
      }
      origin.challenge = challenge.get();
      if (origin.challenge.scheme().equalsIgnoreCase("basic")) {
        Optional<Credentials> c = credentials.lookup(authority(url));
        if (c.isEmpty() || c.get().isIdentityToken()) {
          return false;
        }
        origin.header = okhttp3.Credentials.basic(c.get().username(), c.get().secret(),
            java.nio.charset.StandardCharsets.UTF_8);
        origin.issued = clock.instant();
        origin.expires = Instant.MAX;
        return true;
      }
      fetchToken(url, origin);
      return true;
    }
  }

  private void fetchToken(HttpUrl url, Origin origin) throws IOException {
    Challenge c = origin.challenge;
    HttpUrl realm = validRealm(url, c.authParams().get("realm"));
    String scope = Optional.ofNullable(c.authParams().get("scope")).orElseGet(() -> scopeOf(url));
    String service = c.authParams().get("service");
    Optional<Credentials> creds = credentials.lookup(authority(url));
    Request request;
    if (creds.isPresent() && creds.get().isIdentityToken()) {
      FormBody.Builder form = new FormBody.Builder()
          .add("grant_type", "refresh_token")
          .add("refresh_token", creds.get().secret())
          .add("client_id", "rpull");
      if (service != null) {
        form.add("service", service);
      }
      if (!scope.isEmpty()) {
        form.add("scope", scope);
      }
      request = new Request.Builder().url(realm).post(form.build()).build();
    } else {
      HttpUrl.Builder u = realm.newBuilder();
      if (service != null) {
        u.addQueryParameter("service", service);
      }
      if (!scope.isEmpty()) {
        u.addQueryParameter("scope", scope);
      }
      Request.Builder b = new Request.Builder().url(u.build());
      creds.ifPresent(cr -> b.header("Authorization",
          okhttp3.Credentials.basic(cr.username(), cr.secret(), java.nio.charset.StandardCharsets.UTF_8)));
      request = b.build();
    }
    try (Response response = clientForRealm.apply(url, realm).newCall(request).execute()) {
      if (response.code() == 401 || response.code() == 403) {
        throw new RegistryException(Failure.AUTH, "authentication failed for " + authority(url)
            + ": the token service at " + realm.host() + " refused " + (creds.isPresent() ? "the credentials"
            : "anonymous access; give credentials for this registry"));
      }
      if (!response.isSuccessful()) {
        throw new IOException("token service " + RegistryTransport.redact(realm) + " answered " + response.code());
      }
      if (response.body().contentLength() > MAX_TOKEN_BODY) {
        throw new RegistryException(Failure.AUTH, "token answer from " + realm.host() + " is too large");
      }
      JsonNode body = json.readTree(response.body().source().readByteArray(
          Math.min(MAX_TOKEN_BODY, response.body().contentLength() < 0 ? MAX_TOKEN_BODY
              : response.body().contentLength())));
      String token = body.path("token").asText(body.path("access_token").asText(""));
      if (token.isEmpty()) {
        throw new RegistryException(Failure.AUTH, "token service " + realm.host() + " sent no token");
      }
      long seconds = body.path("expires_in").asLong(DEFAULT_TOKEN_LIFETIME.toSeconds());
      origin.header = "Bearer " + token;
      origin.issued = clock.instant();
      origin.expires = origin.issued.plusSeconds(Math.max(seconds, 1));
    }
  }

  /**
   * The realm must be https (http only for a registry that is itself plain http) and carry no user
   * info. Like containerd, a realm may be on any other host, private and loopback addresses
   * included: company registries commonly keep their token service on a separate internal host.
   */
  static HttpUrl validRealm(HttpUrl registry, String realm) {
    HttpUrl url = realm == null ? null : HttpUrl.parse(realm);
    if (url == null) {
      throw new RegistryException(Failure.AUTH,
          "invalid realm in the challenge of " + registry.host() + ": " + HttpErrors.sanitize(String.valueOf(realm)));
    }
    if (!url.isHttps() && registry.isHttps()) {
      throw new RegistryException(Failure.AUTH,
          "invalid realm " + RegistryTransport.redact(url) + ": https registry " + registry.host()
              + " asked for credentials over plain http");
    }
    if (!url.username().isEmpty() || !url.password().isEmpty()) {
      throw new RegistryException(Failure.AUTH, "invalid realm with user info from " + registry.host());
    }
    return url;
  }

  /** {@code repository:<name>:pull} for a /v2/<name>/(manifests|blobs)/... URL. */
  static String scopeOf(HttpUrl url) {
    var segments = url.pathSegments();
    int v2 = segments.indexOf("v2");
    int kind = Math.max(segments.lastIndexOf("manifests"), segments.lastIndexOf("blobs"));
    if (v2 < 0 || kind <= v2 + 1) {
      return "";
    }
    return "repository:" + String.join("/", segments.subList(v2 + 1, kind)) + ":pull";
  }

  private static String key(HttpUrl url) {
    return url.scheme() + "://" + url.host() + ":" + url.port();
  }

  static String authority(HttpUrl url) {
    String host = url.host().contains(":") ? "[" + url.host() + "]" : url.host();
    return url.port() == HttpUrl.defaultPort(url.scheme()) ? host : host + ":" + url.port();
  }
}
