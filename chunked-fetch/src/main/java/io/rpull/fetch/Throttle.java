package io.rpull.fetch;

/** The bandwidth limit: blocks until {@code bytes} may be taken from the shared budget. */
@FunctionalInterface
interface Throttle {
  void acquire(int bytes);

  /** Guava's smooth rate limiter at {@code bytesPerSecond}; null when there is no limit. */
  static Throttle of(long bytesPerSecond) {
    if (bytesPerSecond <= 0) {
      return null;
    }
    com.google.common.util.concurrent.RateLimiter limiter =
        com.google.common.util.concurrent.RateLimiter.create(bytesPerSecond);
    return limiter::acquire;
  }
}
