package io.rpull.fetch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rpull.types.Digest;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLPeerUnverifiedException;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chunks' own connections: reuse, credentials, tokens that expire, TLS, and what --http-dump sees. */
class RangeConnectionsTest {
  private static final int CHUNK = 64 * 1024;
  private final byte[] blob = new byte[8 * CHUNK + 123];
  private final MockWebServer registry = new MockWebServer();
  private final MockWebServer storage = new MockWebServer();
  private final List<RecordedRequest> seen = new CopyOnWriteArrayList<>();
  private HttpClients clients;
  private ChunkedBlobFetcher fetcher;

  RangeConnectionsTest() {
    new Random(11).nextBytes(blob);
  }

  @AfterEach
  void stop() {
    if (fetcher != null) {
      fetcher.close();
    }
    if (clients != null) {
      clients.close();
    }
    registry.close();
    storage.close();
  }

  private static FetchOptions oneConnection() {
    return new FetchOptions(CHUNK, 1, 1, ChunkedBlobFetcherTest.fastRetries(3), 0, Duration.ZERO);
  }

  private byte[] fetch(RegistryHost host, RegistryAuth auth) throws Exception {
    clients = clients != null ? clients
        : new HttpClients(oneConnection(), Duration.ofSeconds(5), Duration.ofSeconds(5), "rpull-test");
    fetcher = new ChunkedBlobFetcher(oneConnection());
    try (InputStream in = fetcher.open(new RegistryTransport(clients, auth),
        new BlobLocation(List.of(host), "repo", Digest.sha256Of(blob), blob.length), 0, FetchEvents.NONE)) {
      return in.readAllBytes();
    }
  }

  private void serveBlob(MockWebServer server) throws Exception {
    RangeDispatcher ranges = new RangeDispatcher(blob);
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest r) {
        seen.add(r);
        return ranges.dispatch(r);
      }
    });
    server.start();
  }

  @Test
  void chunks_shareOneKeptAliveConnection() throws Exception {
    serveBlob(registry);
    assertArrayEquals(blob, fetch(TestHosts.plain(registry), RegistryAuth.ANONYMOUS));
    assertEquals(9, seen.size());
    Set<Integer> connections = new HashSet<>();
    // The first request is OkHttp's; every later chunk is on rpull's own connection, kept alive.
    seen.subList(1, seen.size()).forEach(r -> connections.add(r.getConnectionIndex()));
    assertEquals(1, connections.size(), "connections used by chunks 2..9: " + connections);
  }

  @Test
  void aConnectionTheServerClosed_isReplacedWithoutFailingTheChunk() throws Exception {
    RangeDispatcher ranges = new RangeDispatcher(blob);
    AtomicInteger n = new AtomicInteger();
    registry.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest r) {
        seen.add(r);
        MockResponse answer = ranges.dispatch(r);
        // Every answer closes its connection afterwards without saying so, as an idle timeout would.
        return n.incrementAndGet() > 1
            ? answer.newBuilder().onResponseEnd(SocketEffect.ShutdownConnection.INSTANCE).build() : answer;
      }
    });
    registry.start();
    assertArrayEquals(blob, fetch(TestHosts.plain(registry), RegistryAuth.ANONYMOUS));
  }

  @Test
  void credentials_goToTheRegistryOnly_andARedirectToStorageIsFollowedWithoutThem() throws Exception {
    serveBlob(storage);
    registry.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest r) {
        seen.add(r);
        // A fresh presigned URL each time; the storage honours any of them.
        return new MockResponse.Builder().code(307)
            .addHeader("Location", storage.url("/bucket/blob?sig=" + seen.size()).toString()).build();
      }
    });
    registry.start();
    RegistryAuth bearer = fixedToken("Bearer t0k3n");
    assertArrayEquals(blob, fetch(TestHosts.plain(registry), bearer));
    for (RecordedRequest r : seen) {
      boolean atRegistry = r.getUrl().port() == registry.getPort();
      assertEquals(atRegistry ? "Bearer t0k3n" : null, r.getHeaders().get("Authorization"), r.getUrl().toString());
    }
    assertEquals(1, seen.stream().filter(r -> r.getUrl().port() == registry.getPort()).count(),
        "the storage URL is reused for every chunk");
  }

  @Test
  void aTokenThatExpires_isRenewedOnOkHttpsPath_andTheBlobCompletes() throws Exception {
    AtomicReference<String> valid = new AtomicReference<>("Bearer one");
    RangeDispatcher ranges = new RangeDispatcher(blob);
    registry.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest r) {
        seen.add(r);
        if (seen.size() == 4) {
          valid.set("Bearer two");
        }
        if (!valid.get().equals(r.getHeaders().get("Authorization"))) {
          return new MockResponse.Builder().code(401).addHeader("WWW-Authenticate", "Bearer realm=x").build();
        }
        return ranges.dispatch(r);
      }
    });
    registry.start();
    AtomicReference<String> token = new AtomicReference<>("Bearer one");
    AtomicInteger renewals = new AtomicInteger();
    RegistryAuth renewing = new RegistryAuth() {
      @Override
      public Optional<String> authorization(HttpUrl url) {
        return Optional.of(token.get());
      }

      @Override
      public boolean onUnauthorized(Response unauthorized) {
        renewals.incrementAndGet();
        token.set("Bearer two");
        return true;
      }
    };
    assertArrayEquals(blob, fetch(TestHosts.plain(registry), renewing));
    assertEquals(1, renewals.get());
  }

  @Test
  void tls_certificateForAnotherName_isRefused(@TempDir Path dir) throws Exception {
    HeldCertificate ca = new HeldCertificate.Builder().certificateAuthority(0).build();
    HeldCertificate wrongName = new HeldCertificate.Builder().signedBy(ca).addSubjectAlternativeName("example.com")
        .build();
    HeldCertificate rightName = new HeldCertificate.Builder().signedBy(ca).addSubjectAlternativeName("localhost")
        .build();
    Path caFile = Files.writeString(dir.resolve("ca.pem"), ca.certificatePem());
    TlsSettings trustCa = new TlsSettings(false, List.of(caFile), Optional.empty());
    clients = new HttpClients(oneConnection(), Duration.ofSeconds(5), Duration.ofSeconds(5), "rpull-test");
    RangeConnections connections = clients.ranges();

    registry.useHttps(new HandshakeCertificates.Builder().heldCertificate(wrongName).build().sslSocketFactory());
    registry.enqueue(new MockResponse.Builder().code(200).body("no").build());
    registry.start();
    Request toWrongName = new Request.Builder().url(registry.url("/v2/").newBuilder().host("localhost").build())
        .build();
    assertThrows(SSLPeerUnverifiedException.class, () -> connections.send(clients.forTls(trustCa), toWrongName));

    storage.useHttps(new HandshakeCertificates.Builder().heldCertificate(rightName).build().sslSocketFactory());
    storage.enqueue(new MockResponse.Builder().code(200).body("yes").build());
    storage.start();
    RangeExchange answer = connections.send(clients.forTls(trustCa),
        new Request.Builder().url(storage.url("/v2/").newBuilder().host("localhost").build()).build());
    try (InputStream body = answer.body()) {
      assertEquals("yes", new String(body.readAllBytes()));
    }
    // Untrusted without the CA: the default policy verifies.
    assertThrows(javax.net.ssl.SSLHandshakeException.class, () -> connections.send(clients.forTls(TlsSettings.SYSTEM),
        new Request.Builder().url(storage.url("/v2/").newBuilder().host("localhost").build()).build()));
  }

  @Test
  void httpDump_seesTheChunkRequests_withCredentialsRedacted() throws Exception {
    serveBlob(registry);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintWriter sink = new PrintWriter(err, true);
    clients = new HttpClients(oneConnection(), Duration.ofSeconds(5), Duration.ofSeconds(5), "rpull-test",
        new HttpDump(sink, true));
    assertArrayEquals(blob, fetch(TestHosts.plain(registry), fixedToken("Bearer s3cr3t")));
    String dump = err.toString();
    assertEquals(9, dump.lines().filter(l -> l.startsWith("> GET")).count(), dump);
    assertEquals(9, dump.lines().filter(l -> l.startsWith("< 206")).count(), dump);
    assertTrue(dump.contains("Authorization: [redacted]"), dump);
    assertTrue(!dump.contains("s3cr3t"), "the token is never printed");
  }

  @Test
  void anErrorOnAChunk_failsAsOnOkHttpsPath() throws Exception {
    RangeDispatcher ranges = new RangeDispatcher(blob);
    registry.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest r) {
        seen.add(r);
        return seen.size() >= 3
            ? new MockResponse.Builder().code(403).body("{\"errors\":[{\"message\":\"quota exceeded\"}]}").build()
            : ranges.dispatch(r);
      }
    });
    registry.start();
    RegistryException e = assertThrows(RegistryException.class,
        () -> fetch(TestHosts.plain(registry), RegistryAuth.ANONYMOUS));
    assertTrue(e.getMessage().contains("403 Forbidden (quota exceeded)"), e.getMessage());
  }

  @Test
  void aCancelledDownload_stopsAtItsNextRead() throws Exception {
    registry.enqueue(new MockResponse.Builder().code(206).body(new okio.Buffer().write(blob)).build());
    registry.start();
    clients = new HttpClients(oneConnection(), Duration.ofSeconds(5), Duration.ofSeconds(5), "rpull-test");
    Request request = new Request.Builder().url(registry.url("/v2/repo/blobs/x")).build();
    RangeExchange answer = clients.ranges().send(clients.forUrl(request.url(), TlsSettings.SYSTEM), request);
    try (InputStream body = answer.body()) {
      assertEquals(10, body.read(new byte[10]));
      Thread.currentThread().interrupt();
      assertThrows(java.io.InterruptedIOException.class, () -> body.read(new byte[10]));
    } finally {
      Thread.interrupted();
    }
  }

  private static RegistryAuth fixedToken(String value) {
    return new RegistryAuth() {
      @Override
      public Optional<String> authorization(HttpUrl url) {
        return Optional.of(value);
      }

      @Override
      public boolean onUnauthorized(Response unauthorized) {
        return false;
      }
    };
  }
}
