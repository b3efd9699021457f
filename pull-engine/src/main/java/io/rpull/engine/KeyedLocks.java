package io.rpull.engine;

import java.io.InterruptedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/** One lock per key, made when first wanted and dropped when nobody holds or waits for it. */
final class KeyedLocks<K> {
  private final Map<K, Entry> entries = new HashMap<>();

  private static final class Entry {
    final ReentrantLock lock = new ReentrantLock();
    int users;
  }

  /** A held lock; closing releases it. */
  interface Held extends AutoCloseable {
    @Override
    void close();
  }

  Held lock(K key) throws InterruptedIOException {
    Entry entry;
    synchronized (entries) {
      entry = entries.computeIfAbsent(key, k -> new Entry());
      entry.users++;
    }
    try {
      entry.lock.lockInterruptibly();
    } catch (InterruptedException e) {
      leave(key, entry);
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for another pull of " + key);
    }
    return () -> {
      entry.lock.unlock();
      leave(key, entry);
    };
  }

  private void leave(K key, Entry entry) {
    synchronized (entries) {
      if (--entry.users == 0) {
        entries.remove(key);
      }
    }
  }

  /** Keys somebody holds or waits for; for tests. */
  int size() {
    synchronized (entries) {
      return entries.size();
    }
  }
}
