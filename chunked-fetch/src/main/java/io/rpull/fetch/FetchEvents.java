package io.rpull.fetch;

import io.rpull.types.Digest;

/**
 * Told what one pull's registry traffic does: every byte received (for progress and statistics)
 * and every host given up on for the next one (a mirror that is down), which containerd logs and
 * users must be able to see.
 */
@FunctionalInterface
public interface FetchEvents {
  void received(Digest blob, long bytes);

  /**
   * {@code host} failed {@code what} for {@code reason} and {@code next} is tried instead; called
   * only when there is a next host.
   */
  default void hostSkipped(String what, String host, String reason, String next) {}

  FetchEvents NONE = (blob, bytes) -> {};

  /** The one line that tells a person about a skipped host (--debug, --http-trace). */
  static String describeSkip(String what, String host, String reason, String next) {
    return "rpull: " + what + ": " + host + " failed (" + reason + "); trying " + next;
  }
}
