package io.rpull.fetch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rpull.types.Digest;
import java.io.InputStream;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HostFallbackAndRedirectTest {
  private static final int CHUNK = 64 * 1024;
  private final MockWebServer registry = new MockWebServer();
  private final MockWebServer storage = new MockWebServer();
  private final byte[] blob = new byte[6 * CHUNK];
  private final AtomicInteger registryBlobGets = new AtomicInteger();
  private final AtomicInteger storageGets = new AtomicInteger();
  private volatile int storageExpiresAfter = Integer.MAX_VALUE;
  private HttpClients clients;
  private ChunkedBlobFetcher fetcher;

  @BeforeEach
  void start() throws Exception {
    new Random(7).nextBytes(blob);
    RangeDispatcher ranges = new RangeDispatcher(blob);
    storage.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest r) {
        if (storageGets.incrementAndGet() > storageExpiresAfter
            && r.getUrl().queryParameter("sig").equals("old")) {
          return new MockResponse.Builder().code(403).body("Request has expired").build();
        }
        return ranges.dispatch(r);
      }
    });
    registry.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest r) {
        String sig = registryBlobGets.incrementAndGet() == 1 ? "old" : "new";
        return new MockResponse.Builder().code(307)
            .addHeader("Location", storage.url("/bucket/blob?sig=" + sig).toString()).build();
      }
    });
    registry.start();
    storage.start();
    clients = new HttpClients(FetchOptions.defaults(), Duration.ofSeconds(5), Duration.ofSeconds(5), "rpull-test");
    // These tests count requests: no hedged duplicates.
    fetcher = new ChunkedBlobFetcher(options(0));
  }

  @AfterEach
  void stop() {
    fetcher.close();
    clients.close();
    registry.close();
    storage.close();
  }

  private static FetchOptions options(long bytesPerSecond) {
    return new FetchOptions(CHUNK, 2, 4, ChunkedBlobFetcherTest.fastRetries(3), bytesPerSecond, Duration.ZERO);
  }

  private InputStream open(ChunkedBlobFetcher from, List<RegistryHost> hosts) {
    return from.open(new RegistryTransport(clients, RegistryAuth.ANONYMOUS),
        new BlobLocation(hosts, "repo", Digest.sha256Of(blob), blob.length), 0, FetchEvents.NONE);
  }

  private byte[] fetch(List<RegistryHost> hosts) throws Exception {
    try (InputStream in = open(fetcher, hosts)) {
      return in.readAllBytes();
    }
  }

  @Test
  void redirectTarget_isReusedForEveryChunk() throws Exception {
    assertArrayEquals(blob, fetch(List.of(TestHosts.plain(registry))));
    assertEquals(1, registryBlobGets.get());
    assertEquals(6, storageGets.get());
  }

  @Test
  void expiredRedirectTarget_sendsUsBackToTheRegistryForAFreshOne() throws Exception {
    storageExpiresAfter = 3;
    assertArrayEquals(blob, fetch(List.of(TestHosts.plain(registry))));
    // Once for the first URL, then once more per chunk that was in flight when it expired (two).
    assertTrue(registryBlobGets.get() >= 2 && registryBlobGets.get() <= 3, "registry GETs: " + registryBlobGets);
  }

  @Test
  void mirrorThatIsDown_fallsThroughToTheNextHost_andSaysSo() throws Exception {
    RegistryHost dead = new RegistryHost(HttpUrl.get("http://127.0.0.1:1/v2/"),
        EnumSet.allOf(RegistryHost.Capability.class), TlsSettings.SYSTEM, Map.of(), true, Optional.of("reg"), false);
    List<String> skipped = new java.util.concurrent.CopyOnWriteArrayList<>();
    FetchEvents events = new FetchEvents() {
      @Override
      public void received(Digest digest, long bytes) {}

      @Override
      public void hostSkipped(String what, String host, String reason, String next) {
        skipped.add(host + " -> " + next + ": " + reason);
      }
    };
    try (InputStream in = fetcher.open(new RegistryTransport(clients, RegistryAuth.ANONYMOUS),
        new BlobLocation(List.of(dead, TestHosts.plain(registry)), "repo", Digest.sha256Of(blob), blob.length), 0,
        events)) {
      assertArrayEquals(blob, in.readAllBytes());
    }
    assertTrue(registryBlobGets.get() >= 1);
    assertEquals(1, skipped.size(), skipped.toString());
    assertTrue(skipped.get(0).startsWith("127.0.0.1:1 -> " + registry.getHostName() + ":" + registry.getPort()),
        skipped.toString());
  }

  private static MockWebServer started(MockWebServer server, Dispatcher dispatcher) throws Exception {
    server.setDispatcher(dispatcher);
    server.start();
    return server;
  }

  /** {@code server} as a mirror of registry "reg" in hosts.toml. */
  private static RegistryHost mirrorOf(MockWebServer server) {
    return new RegistryHost(server.url("/v2/"), EnumSet.allOf(RegistryHost.Capability.class),
        TlsSettings.SYSTEM, Map.of(), true, Optional.of("reg"), false);
  }

  @Test
  void aMirrorIsAskedForTheWholeBlobInOneRequest_theRegistryInChunks() throws Exception {
    RangeDispatcher engine = new RangeDispatcher(blob);
    RangeDispatcher origin = new RangeDispatcher(blob);
    try (MockWebServer mirror = new MockWebServer(); MockWebServer registryItself = new MockWebServer()) {
      RegistryHost mirrorHost = mirrorOf(started(mirror, engine));
      started(registryItself, origin);
      // A P2P daemon schedules a whole blob through its peers; a 64 KiB range it would fetch alone.
      assertArrayEquals(blob, fetch(List.of(mirrorHost, TestHosts.plain(registryItself))));
      assertEquals(List.of(""), engine.ranges, "one request without Range");
      assertEquals(List.of(), origin.ranges);

      assertArrayEquals(blob, fetch(List.of(TestHosts.plain(registryItself))));
      assertEquals(6, origin.ranges.size(), "the registry itself in chunks: " + origin.ranges);
    }
  }

  @Test
  void aMirrorThatGoesAwayMidBlob_theRegistryServesTheRest_fromTheByteReached() throws Exception {
    int half = blob.length / 2;
    AtomicInteger mirrorGets = new AtomicInteger();
    RangeDispatcher origin = new RangeDispatcher(blob);
    try (MockWebServer mirror = new MockWebServer(); MockWebServer registryItself = new MockWebServer()) {
      // A pull-through cache answering a cold blob whole (distribution ignores Range there), stopped
      // halfway through the body; asked again, it no longer has it.
      RegistryHost mirrorHost = mirrorOf(started(mirror, new Dispatcher() {
        @Override
        public MockResponse dispatch(RecordedRequest r) {
          if (mirrorGets.incrementAndGet() > 1) {
            return new MockResponse.Builder().code(404).build();
          }
          return new MockResponse.Builder().code(200)
              .body(new okio.Buffer().write(java.util.Arrays.copyOf(blob, half)))
              .setHeader("Content-Length", String.valueOf(blob.length))
              .onResponseEnd(mockwebserver3.SocketEffect.ShutdownConnection.INSTANCE).build();
        }
      }));
      started(registryItself, origin);
      assertArrayEquals(blob, fetch(List.of(mirrorHost, TestHosts.plain(registryItself))));
      assertEquals("bytes=" + half + "-" + (half + CHUNK - 1), origin.ranges.get(0),
          "the registry is asked from the byte the mirror reached: " + origin.ranges);
    }
  }

  @Test
  void aLoopbackRegistryAnsweringPlainHttp_isAskedOverHttp_onlyWhenAllowedToFallBack() throws Exception {
    try (PlainHttpOnly plain = new PlainHttpOnly(blob)) {
      HttpUrl overHttps = HttpUrl.get("https://127.0.0.1:" + plain.port() + "/v2/");
      RegistryHost fallback = new RegistryHost(overHttps, EnumSet.allOf(RegistryHost.Capability.class),
          TlsSettings.SYSTEM, Map.of(), false, Optional.empty(), true);
      assertArrayEquals(blob, fetch(List.of(fallback)));

      RegistryHost strict = new RegistryHost(overHttps, EnumSet.allOf(RegistryHost.Capability.class),
          TlsSettings.SYSTEM, Map.of(), false, Optional.empty(), false);
      RegistryException e = assertThrows(RegistryException.class, () -> fetch(List.of(strict)));
      assertTrue(e.getMessage().contains("answered plain HTTP") && e.getMessage().contains("--plain-http"),
          e.getMessage());
      assertEquals(1, plain.tlsAttempts.get() - 1, "a plain-HTTP answer is not retried over TLS");
    }
  }

  /**
   * A server that speaks only HTTP/1.1, as Go's net/http does: a TLS ClientHello gets a plain
   * "400 Bad Request" (which a TLS client reads as an unrecognised record), a request gets the blob.
   */
  private static final class PlainHttpOnly implements AutoCloseable {
    final java.net.ServerSocket socket = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
    final AtomicInteger tlsAttempts = new AtomicInteger();
    private final Thread acceptor;

    PlainHttpOnly(byte[] body) throws java.io.IOException {
      acceptor = new Thread(() -> {
        while (!socket.isClosed()) {
          try (java.net.Socket s = socket.accept()) {
            int first = s.getInputStream().read();
            byte[] head = new byte[8192];
            s.getInputStream().read(head);
            var out = s.getOutputStream();
            if (first == 0x16) {
              tlsAttempts.incrementAndGet();
              out.write("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n".getBytes());
            } else {
              out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                  .getBytes());
              out.write(body);
            }
          } catch (java.io.IOException e) {
            // closed
          }
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return socket.getLocalPort();
    }

    @Override
    public void close() throws java.io.IOException {
      socket.close();
    }
  }


  @Test
  void bandwidthLimit_isAskedForEveryByte_andStillDeliversThemInOrder() throws Exception {
    List<Integer> permits = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    try (ChunkedBlobFetcher limited = new ChunkedBlobFetcher(options(64L << 20), permits::add);
        InputStream in = open(limited, List.of(TestHosts.plain(registry)))) {
      assertArrayEquals(blob, in.readAllBytes());
    }
    // The limiter saw every byte, in reads small enough for the limit to be smooth.
    assertEquals(blob.length, permits.stream().mapToLong(Integer::longValue).sum());
    assertTrue(permits.stream().allMatch(p -> p <= ChunkedBlobFetcher.LIMITED_READ), permits.toString());
  }
}
