package io.rpull.fetch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rpull.types.Digest;
import java.io.InputStream;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
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
        new BlobLocation(hosts, "repo", Digest.sha256Of(blob), blob.length), 0, ByteCounter.NONE);
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
  void mirrorThatIsDown_fallsThroughToTheNextHost() throws Exception {
    RegistryHost dead = new RegistryHost(HttpUrl.get("http://127.0.0.1:1/v2/"),
        EnumSet.allOf(RegistryHost.Capability.class), TlsSettings.SYSTEM, Map.of(), true);
    assertArrayEquals(blob, fetch(List.of(dead, TestHosts.plain(registry))));
    assertTrue(registryBlobGets.get() >= 1);
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
