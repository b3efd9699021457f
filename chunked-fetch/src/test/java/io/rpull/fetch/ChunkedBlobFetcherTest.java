package io.rpull.fetch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rpull.types.Digest;
import io.rpull.types.Failure;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ChunkedBlobFetcherTest {
  private static final int CHUNK = 64 * 1024;
  private final MockWebServer server = new MockWebServer();
  private final byte[] blob = new byte[16 * CHUNK + 123];
  private RangeDispatcher dispatcher;
  private ChunkedBlobFetcher fetcher;
  private HttpClients clients;
  private final AtomicLong received = new AtomicLong();

  @BeforeEach
  void start() throws IOException {
    new Random(42).nextBytes(blob);
    dispatcher = new RangeDispatcher(blob);
    server.setDispatcher(dispatcher);
    server.start();
    clients = new HttpClients(options(), Duration.ofSeconds(5), Duration.ofSeconds(5), "rpull-test");
    fetcher = new ChunkedBlobFetcher(options());
  }

  @AfterEach
  void stop() {
    fetcher.close();
    clients.close();
    server.close();
  }

  /** Counting tests must not see hedged duplicates: hedging is off unless a test asks for it. */
  private static FetchOptions options() {
    return hedgingOptions().withoutHedging();
  }

  private static FetchOptions hedgingOptions() {
    return new FetchOptions(CHUNK, 4, 8, fastRetries(3), 0, Duration.ofMillis(300));
  }

  static RetryPolicy fastRetries(int attempts) {
    return RetryPolicy.defaults().withMaxAttempts(attempts).withBackoff(Duration.ofMillis(1), Duration.ofMillis(1));
  }

  private BlobLocation location() {
    return new BlobLocation(List.of(TestHosts.plain(server)), "repo", Digest.sha256Of(blob), blob.length);
  }

  private byte[] readAll(long offset) throws IOException {
    try (InputStream in = fetcher.open(new RegistryTransport(clients, RegistryAuth.ANONYMOUS), location(), offset,
        (b, n) -> received.addAndGet(n))) {
      return in.readAllBytes();
    }
  }

  @Test
  void wholeBlob_arrivesInOrder_fromOneRangeRequestPerChunk() throws IOException {
    assertArrayEquals(blob, readAll(0));
    assertEquals(17, dispatcher.ranges.size());
    assertTrue(dispatcher.ranges.contains("bytes=" + (16 * CHUNK) + "-" + (blob.length - 1)));
    assertEquals(blob.length, received.get());
  }

  @Test
  void offset_resumesAtThatByte() throws IOException {
    byte[] tail = readAll(100_000);
    assertArrayEquals(java.util.Arrays.copyOfRange(blob, 100_000, blob.length), tail);
    assertTrue(dispatcher.ranges.contains("bytes=100000-" + (100_000 + CHUNK - 1)), dispatcher.ranges.toString());
  }

  @Test
  void rangeIgnored_theSingle200IsUsed_noSecondDownload() throws IOException {
    dispatcher.override = r -> new MockResponse.Builder().code(200).body(new okio.Buffer().write(blob)).build();
    assertArrayEquals(java.util.Arrays.copyOfRange(blob, 5, blob.length), readAll(5));
    assertEquals(1, dispatcher.ranges.size());
  }

  @Test
  void droppedConnection_isRetriedFromTheByteWhereItStopped() throws IOException {
    AtomicBoolean dropped = new AtomicBoolean();
    long start = 3L * CHUNK;
    dispatcher.override = r -> r[0] == start && dropped.compareAndSet(false, true)
        ? dispatcher.truncated(r[0], r[1], 1000) : null;
    // No hedging here: the broken connection itself must be noticed (1 s stall timeout) and resumed.
    fetcher.close();
    clients.close();
    clients = new HttpClients(options(), Duration.ofSeconds(5), Duration.ofSeconds(1), "rpull-test");
    fetcher = new ChunkedBlobFetcher(options());
    assertArrayEquals(blob, readAll(0));
    assertTrue(dropped.get());
    assertTrue(dispatcher.ranges.stream().anyMatch(r -> r.startsWith("bytes=" + (start + 1000) + "-")),
        dispatcher.ranges.toString());
  }

  @Test
  void serviceUnavailable_withRetryAfter_isRetried() throws IOException {
    AtomicBoolean refused = new AtomicBoolean();
    dispatcher.override = r -> r[0] == 2L * CHUNK && refused.compareAndSet(false, true)
        ? new MockResponse.Builder().code(503).addHeader("Retry-After", "0").build() : null;
    assertArrayEquals(blob, readAll(0));
    assertTrue(refused.get());
  }

  @Test
  void slowConnection_holdingUpTheBlob_isHedgedOnAnotherConnection() throws IOException {
    fetcher.close();
    fetcher = new ChunkedBlobFetcher(hedgingOptions());
    AtomicBoolean throttled = new AtomicBoolean();
    // The first answer for chunk 0 trickles (64 KiB at 1 KiB per 100 ms, over 6 s); nothing else is slow.
    dispatcher.override = r -> r[0] == 0 && throttled.compareAndSet(false, true)
        ? new MockResponse.Builder(dispatcher.partial(r[0], r[1])).throttleBody(1024, 100,
            java.util.concurrent.TimeUnit.MILLISECONDS).build()
        : null;
    assertArrayEquals(blob, readAll(0));
    assertTrue(throttled.get());
    assertEquals(2, dispatcher.ranges.stream().filter(r -> r.equals("bytes=0-" + (CHUNK - 1))).count(),
        "chunk 0 was asked for twice: " + dispatcher.ranges);
  }

  @Test
  void wrongContentRange_isAVerificationFailure() {
    dispatcher.override = r -> r[0] == CHUNK
        ? new MockResponse.Builder().code(206).addHeader("Content-Range", "bytes 0-" + (CHUNK - 1) + "/" + blob.length)
            .body(new okio.Buffer().write(blob, 0, CHUNK)).build()
        : null;
    RegistryException e = assertThrows(RegistryException.class, () -> readAll(0));
    assertEquals(Failure.VERIFICATION, e.failure());
    assertTrue(e.getMessage().contains("Content-Range"), e.getMessage());
  }

  @Test
  void missingBlob_isNotFound() {
    dispatcher.override = r -> new MockResponse.Builder().code(404)
        .body("{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"blob unknown\"}]}").build();
    RegistryException e = assertThrows(RegistryException.class, () -> readAll(0));
    assertEquals(Failure.NOT_FOUND, e.failure());
  }

  @Test
  void persistentFailure_givesUpAfterMaxAttempts() {
    dispatcher.override = r -> r[0] == CHUNK ? new MockResponse.Builder().code(500).build() : null;
    IOException e = assertThrows(IOException.class, () -> readAll(0));
    assertTrue(e.getMessage().contains("after 3 attempts"), e.getMessage());
  }

  @Test
  void contentEncoding_onABlob_isRefused() {
    dispatcher.override = r -> new MockResponse.Builder().code(206).addHeader("Content-Encoding", "gzip")
        .addHeader("Content-Range", "bytes " + r[0] + "-" + r[1] + "/" + blob.length).body("x").build();
    RegistryException e = assertThrows(RegistryException.class, () -> readAll(0));
    assertEquals(Failure.VERIFICATION, e.failure());
  }
}
