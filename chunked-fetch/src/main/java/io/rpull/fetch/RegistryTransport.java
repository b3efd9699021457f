package io.rpull.fetch;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Objects;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Executes registry requests. Redirects are followed here rather than by OkHttp so that the
 * Authorization header goes to the registry's own origin only (never to a blob-storage host, and
 * never again later in the chain), and so that https never silently becomes http.
 */
public final class RegistryTransport {
  static final int MAX_REDIRECTS = 10;

  private final OkHttpClient http;
  private final RegistryAuth auth;

  public RegistryTransport(OkHttpClient http, RegistryAuth auth) {
    this.http = http.newBuilder().followRedirects(false).followSslRedirects(false).build();
    this.auth = Objects.requireNonNull(auth, "auth");
  }

  /** Sends {@code request} (built without Authorization) and returns the final, non-redirect answer. */
  public Response execute(Request request) throws IOException {
    Response response = send(request, true);
    if (response.code() == 401 && isSameOrigin(request.url(), response.request().url())) {
      boolean retry;
      try (Response unauthorized = response) {
        retry = auth.onUnauthorized(unauthorized);
      }
      if (!retry) {
        throw new RegistryException(RegistryException.Kind.AUTH,
            "authorization failed for " + request.url().host() + "/" + repositoryPath(request.url())
                + ": the registry answered 401 Unauthorized; pass --user or check your credentials");
      }
      response = send(request, true);
    }
    return response;
  }

  private Response send(Request original, boolean withAuth) throws IOException {
    HttpUrl origin = original.url();
    Request request = original;
    boolean sendAuth = withAuth;
    for (int hop = 0; ; hop++) {
      Request.Builder b = request.newBuilder().removeHeader("Authorization");
      if (sendAuth) {
        auth.authorization(request.url()).ifPresent(v -> b.header("Authorization", v));
      }
      Response response;
      try {
        response = http.newCall(b.build()).execute();
      } catch (InterruptedIOException e) {
        throw e;
      }
      if (!response.isRedirect()) {
        return response;
      }
      String location = response.header("Location");
      response.close();
      if (hop >= MAX_REDIRECTS) {
        throw new RegistryException(RegistryException.Kind.NETWORK,
            "too many redirects (more than " + MAX_REDIRECTS + ") for " + redact(origin));
      }
      HttpUrl next = location == null ? null : request.url().resolve(location);
      if (next == null) {
        throw new RegistryException(RegistryException.Kind.NETWORK,
            "redirect without a valid Location from " + redact(request.url()));
      }
      if (request.url().isHttps() && !next.isHttps()) {
        throw new RegistryException(RegistryException.Kind.NETWORK,
            "insecure redirect from https to " + redact(next) + " refused");
      }
      // Once the chain leaves the registry's origin, credentials never come back (CVE-2024-45336).
      sendAuth = sendAuth && isSameOrigin(origin, next);
      request = request.newBuilder().url(next).build();
    }
  }

  static boolean isSameOrigin(HttpUrl a, HttpUrl b) {
    return a.scheme().equals(b.scheme()) && a.host().equals(b.host()) && a.port() == b.port();
  }

  /** A URL safe to print: no query (presigned URLs carry secrets there), no user info. */
  public static String redact(HttpUrl url) {
    return url.newBuilder().query(null).username("").password("").build().toString();
  }

  private static String repositoryPath(HttpUrl url) {
    var segments = url.pathSegments();
    return segments.size() > 3 ? String.join("/", segments.subList(1, segments.size() - 2)) : url.encodedPath();
  }
}
