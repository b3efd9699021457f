package io.rpull.fetch;

import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;

/** Builds the one HTTP client of a pull. */
public final class HttpClientFactory {
  private HttpClientFactory() {}

  /**
   * HTTP/1.1 only, so that parallel range requests use separate connections (each capped
   * separately by CDNs and object stores) rather than streams of one HTTP/2 connection. The read
   * timeout is the stall detector: a connection that delivers nothing for that long is retried.
   */
  public static OkHttpClient create(FetchOptions options, boolean skipVerify, Duration connectTimeout,
      Duration stallTimeout) {
    OkHttpClient.Builder b = new OkHttpClient.Builder()
        .protocols(List.of(Protocol.HTTP_1_1))
        .connectionPool(new ConnectionPool(options.maxConnections() + 4, 5, TimeUnit.MINUTES))
        .connectTimeout(connectTimeout)
        .readTimeout(stallTimeout)
        .writeTimeout(stallTimeout)
        .retryOnConnectionFailure(true)
        .followRedirects(false)
        .followSslRedirects(false);
    if (skipVerify) {
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
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, new TrustManager[] {trustAll}, new SecureRandom());
        b.sslSocketFactory(tls.getSocketFactory(), trustAll).hostnameVerifier((host, session) -> true);
      } catch (java.security.GeneralSecurityException e) {
        throw new IllegalStateException("cannot set up TLS", e);
      }
    }
    return b.build();
  }
}
