package io.rpull.fetch;

import io.rpull.types.Failure;
import java.io.IOException;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import okhttp3.ConnectionPool;
import okhttp3.ConnectionSpec;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.tls.Certificates;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;

/**
 * The HTTP clients of a pull: one for plain HTTP, one with the default TLS policy and one for each
 * distinct TLS setting, all sharing one connection pool and dispatcher. The TLS ones are built on
 * first use: OkHttp loads the platform's trusted certificates when it builds a TLS-capable client
 * (70 ms of a 0.5 s no-op), which a pull from a plain-HTTP registry or mirror never needs.
 */
public final class HttpClients implements AutoCloseable {
  private static final List<ConnectionSpec> TLS_AND_CLEARTEXT = List.of(ConnectionSpec.MODERN_TLS,
      ConnectionSpec.CLEARTEXT);

  private final OkHttpClient plain;
  private final com.google.common.base.Supplier<OkHttpClient> base;
  private final Map<TlsSettings, OkHttpClient> byTls = new ConcurrentHashMap<>();
  private final RangeConnections ranges;

  /**
   * HTTP/1.1 only, so that parallel range requests use separate connections (each capped
   * separately by CDNs and object stores) rather than streams of one HTTP/2 connection. The read
   * timeout is the stall detector: a connection that delivers nothing for that long is retried.
   */
  public HttpClients(FetchOptions options, Duration connectTimeout, Duration stallTimeout, String userAgent) {
    this(options, connectTimeout, stallTimeout, userAgent, null);
  }

  /** @param observer sees every request as sent (for --http-dump), or null */
  HttpClients(FetchOptions options, Duration connectTimeout, Duration stallTimeout, String userAgent,
      HttpDump observer) {
    OkHttpClient.Builder builder = new OkHttpClient.Builder()
        .protocols(List.of(Protocol.HTTP_1_1))
        .connectionPool(new ConnectionPool(options.maxConnections() + 4, 5, TimeUnit.MINUTES))
        .dispatcher(new Dispatcher())
        .connectionSpecs(List.of(ConnectionSpec.CLEARTEXT))
        .connectTimeout(connectTimeout)
        .readTimeout(stallTimeout)
        .writeTimeout(stallTimeout)
        .retryOnConnectionFailure(true)
        .followRedirects(false)
        .followSslRedirects(false)
        .addNetworkInterceptor(chain -> chain.proceed(chain.request().newBuilder().header("User-Agent", userAgent)
            .build()));
    if (observer != null) {
      builder.addNetworkInterceptor(observer);
    }
    this.plain = builder.build();
    this.base = com.google.common.base.Suppliers.memoize(
        () -> plain.newBuilder().connectionSpecs(TLS_AND_CLEARTEXT).build());
    this.ranges = new RangeConnections(options.maxConnections() + 4, TimeUnit.MINUTES.toNanos(5), userAgent, observer);
  }

  /** The connections that carry chunks' bytes (see {@link RangeConnections}). */
  RangeConnections ranges() {
    return ranges;
  }

  /** The client for {@code url} on a host with these TLS settings. */
  public OkHttpClient forUrl(okhttp3.HttpUrl url, TlsSettings tls) {
    return url.isHttps() ? forTls(tls) : plain;
  }

  /** The client for https hosts with these TLS settings. */
  public OkHttpClient forTls(TlsSettings tls) {
    if (tls.isSystemDefault()) {
      return base.get();
    }
    return byTls.computeIfAbsent(tls, this::build);
  }

  private OkHttpClient build(TlsSettings tls) {
    OkHttpClient.Builder b = plain.newBuilder().connectionSpecs(TLS_AND_CLEARTEXT);
    if (tls.skipVerify()) {
      X509TrustManager trustAll = new X509TrustManager() {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
          return new X509Certificate[0];
        }
      };
      try {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(clientKeyManagers(tls), new TrustManager[] {trustAll}, new SecureRandom());
        return b.sslSocketFactory(context.getSocketFactory(), trustAll).hostnameVerifier((h, s) -> true).build();
      } catch (java.security.GeneralSecurityException e) {
        throw new IllegalStateException("cannot set up TLS", e);
      }
    }
    HandshakeCertificates.Builder certs = new HandshakeCertificates.Builder().addPlatformTrustedCertificates();
    for (var ca : tls.caFiles()) {
      for (X509Certificate c : readCertificates(ca)) {
        certs.addTrustedCertificate(c);
      }
    }
    tls.clientCertificate().ifPresent(cc -> certs.heldCertificate(heldCertificate(cc)));
    HandshakeCertificates handshake = certs.build();
    return b.sslSocketFactory(handshake.sslSocketFactory(), handshake.trustManager()).build();
  }

  private static javax.net.ssl.KeyManager[] clientKeyManagers(TlsSettings tls) {
    return tls.clientCertificate()
        .map(cc -> new HandshakeCertificates.Builder().heldCertificate(heldCertificate(cc)).build().keyManager())
        .map(km -> new javax.net.ssl.KeyManager[] {km})
        .orElse(null);
  }

  private static List<X509Certificate> readCertificates(java.nio.file.Path file) {
    try {
      String pem = Files.readString(file);
      List<X509Certificate> out = new java.util.ArrayList<>();
      java.util.regex.Matcher m = java.util.regex.Pattern
          .compile("-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", java.util.regex.Pattern.DOTALL)
          .matcher(pem);
      while (m.find()) {
        out.add(Certificates.decodeCertificatePem(m.group()));
      }
      if (out.isEmpty()) {
        throw new RegistryException(Failure.USAGE, "no PEM certificate in " + file);
      }
      return out;
    } catch (IOException e) {
      throw new RegistryException(Failure.USAGE, "cannot read CA file " + file + ": " + e);
    }
  }

  private static HeldCertificate heldCertificate(TlsSettings.ClientCertificate cc) {
    try {
      String pem = Files.readString(cc.certificate());
      if (!cc.key().equals(cc.certificate())) {
        pem = pem + "\n" + Files.readString(cc.key());
      }
      return HeldCertificate.Companion.decode(pem);
    } catch (IOException | IllegalArgumentException e) {
      throw new RegistryException(Failure.USAGE,
          "cannot use client certificate " + cc.certificate() + " (PEM certificate and PKCS#8 key expected): "
              + e.getMessage());
    }
  }

  @Override
  public void close() {
    plain.dispatcher().executorService().shutdown();
    plain.connectionPool().evictAll();
    ranges.close();
  }
}
