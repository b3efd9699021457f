package io.rpull.fetch;

import io.rpull.types.Failure;
import java.io.IOException;
import java.util.Objects;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Executes registry requests. Redirects are followed here rather than by OkHttp so that the
 * Authorization header goes to the registry host's own origin only (never to a blob-storage host,
 * and never again later in the chain), and so that https never silently becomes http.
 */
public final class RegistryTransport {
  static final int MAX_REDIRECTS = 10;

  private final HttpClients clients;
  private final RegistryAuth auth;
  /** Hosts with {@link RegistryHost#httpFallback} that answered plain HTTP: asked over http from then on. */
  private final java.util.Set<String> fellBack = java.util.concurrent.ConcurrentHashMap.newKeySet();

  public RegistryTransport(HttpClients clients, RegistryAuth auth) {
    this.clients = Objects.requireNonNull(clients, "clients");
    this.auth = Objects.requireNonNull(auth, "auth");
  }

  /**
   * Sends {@code request} to {@code host} (built without Authorization) and returns the final,
   * non-redirect answer; {@code response.request().url()} says where it finally came from.
   */
  public Response execute(RegistryHost host, Request request) throws IOException {
    Request withHeaders = withHostHeaders(host, fellBack.contains(host.authority()) ? overHttp(request) : request);
    Response response;
    try {
      response = send(host, withHeaders);
    } catch (javax.net.ssl.SSLException e) {
      if (!host.httpFallback() || !withHeaders.url().isHttps() || !answeredPlainHttp(e)) {
        throw e;
      }
      // containerd's fallback for an unconfigured loopback registry: it spoke plain HTTP, so use it.
      fellBack.add(host.authority());
      withHeaders = overHttp(withHeaders);
      response = send(host, withHeaders);
    }
    if (response.code() == 401 && isSameOrigin(withHeaders.url(), response.request().url())) {
      boolean retry;
      try (Response unauthorized = response) {
        retry = auth.onUnauthorized(unauthorized);
      }
      if (!retry) {
        throw new RegistryException(Failure.AUTH,
            "authentication failed for " + host.authority() + "/" + repositoryPath(request.url())
                + ": the registry answered 401 Unauthorized; give credentials for this registry (rpull --user,"
                + " docker's config.json, kubelet's image pull secret) or check them");
      }
      response = send(host, withHeaders);
    }
    return response;
  }

  /**
   * Sends a chunk's range request on the {@link RangeConnections}: to {@code host}'s own origin with
   * its headers, its TLS settings and the credentials the token cache already holds; or, when
   * {@code host} is null, to a storage URL the registry redirected to, anonymously and with the
   * default TLS policy. The answer comes back as it is: a redirect or a 401 is for {@link #execute}.
   */
  RangeExchange sendRange(RegistryHost host, Request request) throws IOException {
    if (host == null) {
      return clients.ranges().send(clients.forUrl(request.url(), TlsSettings.SYSTEM),
          request.newBuilder().removeHeader("Authorization").build());
    }
    Request toHost = withHostHeaders(host, fellBack.contains(host.authority()) ? overHttp(request) : request);
    Request.Builder b = toHost.newBuilder().removeHeader("Authorization");
    auth.authorization(toHost.url()).ifPresent(v -> b.header("Authorization", v));
    return clients.ranges().send(clients.forUrl(toHost.url(), host.tls()), b.build());
  }

  private Response send(RegistryHost host, Request original) throws IOException {
    HttpUrl origin = original.url();
    Request request = original;
    boolean sendAuth = true;
    for (int hop = 0; ; hop++) {
      Request.Builder b = request.newBuilder().removeHeader("Authorization");
      if (sendAuth) {
        auth.authorization(request.url()).ifPresent(v -> b.header("Authorization", v));
      }
      // Foreign hops (blob storage) get the default TLS policy, never the registry's skip_verify.
      OkHttpClient client = clients.forUrl(request.url(), isSameOrigin(origin, request.url()) ? host.tls()
          : TlsSettings.SYSTEM);
      Response response = client.newCall(b.build()).execute();
      if (!response.isRedirect()) {
        return response;
      }
      String location = response.header("Location");
      response.close();
      if (hop >= MAX_REDIRECTS) {
        throw new RegistryException(Failure.NETWORK,
            "too many redirects (more than " + MAX_REDIRECTS + ") for " + redact(origin));
      }
      HttpUrl next = redirectTarget(request.url(), location);
      // Once the chain leaves the registry's origin, credentials never come back (CVE-2024-45336).
      sendAuth = sendAuth && isSameOrigin(origin, next);
      Request.Builder nextRequest = request.newBuilder().url(next);
      if (!isSameOrigin(origin, next)) {
        host.headers().keySet().forEach(nextRequest::removeHeader);
      }
      request = nextRequest.build();
    }
  }

  /** Where a redirect from {@code from} goes; refuses a missing Location and https becoming http. */
  static HttpUrl redirectTarget(HttpUrl from, String location) {
    HttpUrl next = location == null ? null : from.resolve(location);
    if (next == null) {
      throw new RegistryException(Failure.NETWORK, "redirect without a valid Location from " + redact(from));
    }
    if (from.isHttps() && !next.isHttps()) {
      throw new RegistryException(Failure.NETWORK, "insecure redirect from https to " + redact(next) + " refused");
    }
    return next;
  }

  /**
   * Runs {@code attempt} against a host that has another behind it: a host that cannot be
   * connected to (refused, or no answer within the connect timeout) is given up at once, as
   * containerd moves to its next host, instead of being retried by the {@link RetryPolicy}.
   */
  static <T> T leavingUnreachable(RetryPolicy.Attempt<T> attempt, String host) throws IOException {
    try {
      return attempt.run();
    } catch (java.net.ConnectException | java.net.NoRouteToHostException e) {
      throw new RegistryException(Failure.NETWORK, host + " cannot be reached: " + e.getMessage(), e);
    } catch (java.net.SocketTimeoutException e) {
      if (String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("connect")) {
        throw new RegistryException(Failure.NETWORK, host + " cannot be reached: connect timed out", e);
      }
      throw e;
    }
  }

  private static Request overHttp(Request request) {
    return request.newBuilder().url(request.url().newBuilder().scheme("http").build()).build();
  }

  /** Whether a TLS failure means the server answered in plain HTTP (JDK: "Unsupported or unrecognized SSL message"). */
  static boolean answeredPlainHttp(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      String m = t.getMessage();
      if (t instanceof javax.net.ssl.SSLException && m != null
          && (m.contains("unrecognized SSL message") || m.contains("plaintext connection"))) {
        return true;
      }
    }
    return false;
  }

  private static Request withHostHeaders(RegistryHost host, Request request) {
    if (host.headers().isEmpty()) {
      return request;
    }
    Request.Builder b = request.newBuilder();
    host.headers().forEach(b::header);
    return b.build();
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
