package io.rpull.fetch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rpull.types.Descriptor;
import io.rpull.types.Digest;
import io.rpull.types.MediaTypes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.SocketEffect;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Manifests and configs go through the same retry policy as layer chunks. */
class DocumentRetryTest {
  private static final byte[] MANIFEST = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST
      + "\",\"config\":{\"mediaType\":\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\"sha256:" + "a".repeat(64)
      + "\",\"size\":2},\"layers\":[]}").getBytes(StandardCharsets.UTF_8);
  private static final byte[] CONFIG = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"diff_ids\":[]},"
      + "\"padding\":\"" + "x".repeat(4000) + "\"}").getBytes(StandardCharsets.UTF_8);

  private final MockWebServer server = new MockWebServer();
  private HttpClients clients;
  private ChunkedBlobFetcher blobs;
  private RegistryClient client;

  @BeforeEach
  void start() throws Exception {
    server.start();
    clients = new HttpClients(FetchOptions.defaults(), Duration.ofSeconds(5), Duration.ofSeconds(5), "rpull-test");
    blobs = new ChunkedBlobFetcher(FetchOptions.defaults());
    client = new RegistryClient(ImageReference.parse("127.0.0.1:" + server.getPort() + "/app:1"),
        List.of(TestHosts.plain(server)), new RegistryTransport(clients, RegistryAuth.ANONYMOUS), blobs,
        ChunkedBlobFetcherTest.fastRetries(4), FetchEvents.NONE);
  }

  @AfterEach
  void stop() {
    blobs.close();
    clients.close();
    server.close();
  }

  @Test
  void tooManyRequestsOnAManifest_isWaitedOut_withAndWithoutRetryAfter() throws Exception {
    server.enqueue(new MockResponse.Builder().code(429).addHeader("Retry-After", "0").build());
    server.enqueue(new MockResponse.Builder().code(429).build());
    server.enqueue(new MockResponse.Builder().code(503).build());
    server.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", MediaTypes.OCI_MANIFEST)
        .body(new okio.Buffer().write(MANIFEST)).build());

    ImageSource.Resolved resolved = client.resolve();

    assertArrayEquals(MANIFEST, resolved.content());
    assertEquals(Digest.sha256Of(MANIFEST), resolved.descriptor().digest());
    assertEquals(4, server.getRequestCount());
  }

  @Test
  void aCutBodyOnAConfig_isFetchedAgain() throws Exception {
    Descriptor config = Descriptor.of(MediaTypes.OCI_CONFIG, Digest.sha256Of(CONFIG), CONFIG.length);
    server.enqueue(new MockResponse.Builder().code(200).body(new okio.Buffer().write(CONFIG))
        .onResponseBody(new SocketEffect.CloseSocket(true, true, true)).build());
    server.enqueue(new MockResponse.Builder().code(200).body(new okio.Buffer().write(CONFIG)).build());

    assertArrayEquals(CONFIG, client.fetchDocument(config));
    assertEquals(2, server.getRequestCount());
  }

  @Test
  void aStormOf429s_endsWithANetworkErrorAfterTheLastAttempt() {
    for (int i = 0; i < 4; i++) {
      server.enqueue(new MockResponse.Builder().code(429).build());
    }
    RegistryException e = assertThrows(RegistryException.class, () -> client.resolve());
    assertEquals(io.rpull.types.Failure.NETWORK, e.failure());
    assertTrue(e.getMessage().contains("after 4 attempts"), e.getMessage());
    assertEquals(4, server.getRequestCount());
  }
}
