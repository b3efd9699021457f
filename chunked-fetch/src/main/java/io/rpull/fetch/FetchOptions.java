package io.rpull.fetch;

import java.time.Duration;

/**
 * Tuning of the chunked downloader.
 *
 * @param chunkSize bytes per range request
 * @param chunksPerBlob chunks of one blob downloading or waiting in memory at once; with
 *     {@code chunkSize} this bounds the memory one blob can take: {@code chunksPerBlob * chunkSize}
 * @param maxConnections range requests in flight across all blobs
 * @param maxAttempts tries per chunk before the blob fails; each retry resumes at the byte it stopped
 * @param retryBackoff first retry delay, doubled on each further try
 * @param maxBytesPerSecond download bandwidth limit across all connections; 0 for none
 * @param hedgeAfter how long the reader waits for a chunk that holds up the blob (every later chunk
 *     in the window is done) before asking for the same bytes on a second connection
 */
public record FetchOptions(int chunkSize, int chunksPerBlob, int maxConnections, int maxAttempts, Duration retryBackoff,
    long maxBytesPerSecond, Duration hedgeAfter) {
  public static final int MIB = 1 << 20;

  public FetchOptions {
    if (chunkSize < 64 * 1024) {
      throw new IllegalArgumentException("chunk size must be at least 64 KiB");
    }
    if (maxBytesPerSecond < 0) {
      throw new IllegalArgumentException("bandwidth limit must not be negative");
    }
    if (chunksPerBlob < 1 || maxConnections < 1 || maxAttempts < 1) {
      throw new IllegalArgumentException("chunks per blob, connections and attempts must be positive");
    }
  }

  public static FetchOptions defaults() {
    return new FetchOptions(4 * MIB, 6, 16, 5, Duration.ofMillis(200), 0, Duration.ofSeconds(3));
  }

  /** The chunks in flight or waiting, plus the one being read. */
  public long memoryBoundPerBlob() {
    return (long) chunkSize * (chunksPerBlob + 1);
  }
}
