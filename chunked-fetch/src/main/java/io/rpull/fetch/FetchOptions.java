package io.rpull.fetch;

import java.time.Duration;
import java.util.Objects;

/**
 * Tuning of the chunked downloader.
 *
 * @param chunkSize bytes per range request
 * @param chunksPerBlob chunks of one blob downloading or waiting in memory at once
 * @param maxConnections range requests in flight across all blobs
 * @param retry when a failed request is tried again; a chunk's retry resumes at the byte it stopped
 * @param maxBytesPerSecond download bandwidth limit across all connections; 0 for none
 * @param hedgeAfter how long the reader waits for a chunk that holds up the blob (every later chunk
 *     in the window is done) before asking for the same bytes on a second connection; zero: never
 */
public record FetchOptions(int chunkSize, int chunksPerBlob, int maxConnections, RetryPolicy retry,
    long maxBytesPerSecond, Duration hedgeAfter) {
  public static final int MIB = 1 << 20;
  public static final int MIN_CHUNK_SIZE = 64 * 1024;

  public FetchOptions {
    if (chunkSize < MIN_CHUNK_SIZE) {
      throw new IllegalArgumentException("chunk size must be at least 64 KiB");
    }
    if (maxBytesPerSecond < 0) {
      throw new IllegalArgumentException("bandwidth limit must not be negative");
    }
    if (chunksPerBlob < 1 || maxConnections < 1) {
      throw new IllegalArgumentException("chunks per blob and connections must be positive");
    }
    Objects.requireNonNull(retry, "retry");
    if (hedgeAfter.isNegative()) {
      throw new IllegalArgumentException("hedge delay must not be negative");
    }
  }

  /** Chosen by measurement (bench/sweep-downloader): 4 MiB chunks, 6 per blob, 16 connections. */
  public static FetchOptions defaults() {
    return new FetchOptions(4 * MIB, 6, 16, RetryPolicy.defaults(), 0, Duration.ofSeconds(3));
  }

  public FetchOptions withTransfer(int chunkSize, int chunksPerBlob, int maxConnections, long maxBytesPerSecond) {
    return new FetchOptions(chunkSize, chunksPerBlob, maxConnections, retry, maxBytesPerSecond, hedgeAfter);
  }

  /** Never requests a chunk twice: for tests and measurements that count requests. */
  public FetchOptions withoutHedging() {
    return new FetchOptions(chunkSize, chunksPerBlob, maxConnections, retry, maxBytesPerSecond, Duration.ZERO);
  }

  public boolean hedges() {
    return !hedgeAfter.isZero();
  }

  /**
   * The chunk buffers one blob can hold: those in flight or waiting in the window, the one being
   * read, and the hedge copy of the head chunk when hedging is on.
   */
  public long memoryBoundPerBlob() {
    return (long) chunkSize * (chunksPerBlob + 1 + (hedges() ? 1 : 0));
  }
}
