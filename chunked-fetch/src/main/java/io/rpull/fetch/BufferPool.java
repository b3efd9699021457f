package io.rpull.fetch;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Chunk-sized byte arrays for reuse. Without it every chunk is a fresh multi-megabyte array that
 * the collector must find and free, which costs CPU and makes the heap (and RSS) grow with the
 * image; with it, memory stays at what the windows hold. Taking never blocks: an empty pool
 * allocates, and a full pool drops what is given back.
 */
final class BufferPool {
  private final int size;
  private final BlockingQueue<byte[]> free;

  BufferPool(int size, int keep) {
    this.size = size;
    this.free = new ArrayBlockingQueue<>(Math.max(1, keep));
  }

  byte[] take() {
    byte[] b = free.poll();
    return b != null ? b : new byte[size];
  }

  void give(byte[] buffer) {
    if (buffer != null && buffer.length == size) {
      free.offer(buffer);
    }
  }
}
