package io.rpull.fetch;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The one answer, for every HTTP request rpull makes, to "may this be tried again, and when?".
 * Like OkHttp's {@code RetryAndFollowUpInterceptor}, each branch of {@link #isRecoverable} has one
 * reason, and a failure that ends the operation carries the earlier attempts' failures as suppressed
 * exceptions, so nothing that happened is lost.
 *
 * <p>Retry {@code n} (1-based) waits a random time in [½, 1) × {@code firstBackoff} × 2<sup>n−1</sup>,
 * capped at {@code maxBackoff}; the jitter keeps many clients that failed together from retrying
 * together. A server's {@code Retry-After} replaces that wait, capped at {@code maxRetryAfter}.
 *
 * @param maxAttempts attempts of one operation, the first included
 * @param firstBackoff the upper end of the first wait
 * @param maxBackoff the upper end of any computed wait
 * @param maxRetryAfter the longest server-requested wait honoured
 */
public record RetryPolicy(int maxAttempts, Duration firstBackoff, Duration maxBackoff, Duration maxRetryAfter,
    DoubleSupplier jitter, Sleeper sleeper) {

  /** Waits; a seam so that unit tests of retries do not sleep. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;

    Sleeper REAL = d -> Thread.sleep(d.toMillis());
  }

  public RetryPolicy {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("at least one attempt");
    }
    Objects.requireNonNull(firstBackoff, "firstBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    Objects.requireNonNull(maxRetryAfter, "maxRetryAfter");
    Objects.requireNonNull(jitter, "jitter");
    Objects.requireNonNull(sleeper, "sleeper");
  }

  /**
   * Five attempts, waits of 0.1–0.2 s, 0.2–0.4 s, 0.4–0.8 s and 0.8–1.6 s (at most 3 s in all),
   * Retry-After honoured up to 60 s.
   */
  public static RetryPolicy defaults() {
    return new RetryPolicy(5, Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofSeconds(60),
        () -> ThreadLocalRandom.current().nextDouble(), Sleeper.REAL);
  }

  public RetryPolicy withMaxAttempts(int attempts) {
    return new RetryPolicy(attempts, firstBackoff, maxBackoff, maxRetryAfter, jitter, sleeper);
  }

  public RetryPolicy withBackoff(Duration first, Duration max) {
    return new RetryPolicy(maxAttempts, first, max, maxRetryAfter, jitter, sleeper);
  }

  /** Statuses that say "not now" rather than "no": request timeout, rate limit, server trouble. */
  public static boolean isRetryableStatus(int code) {
    return code == 408 || code == 429 || code == 500 || code == 502 || code == 503 || code == 504;
  }

  /** Whether a failed attempt may be repeated; one reason per branch. */
  public boolean isRecoverable(Throwable failure) {
    if (failure instanceof RetryableStatusException) {
      return true; // the server said "later"
    }
    if (failure instanceof RegistryException) {
      return false; // an answer (not found, refused, does not verify): asking again gets the same answer
    }
    if (failure instanceof SocketTimeoutException) {
      return !Thread.currentThread().isInterrupted(); // a stalled or slow connection: a new one may do better
    }
    if (failure instanceof InterruptedIOException) {
      return false; // we were told to stop
    }
    if (failure instanceof SSLHandshakeException && failure.getCause() instanceof CertificateException) {
      return false; // an untrusted certificate stays untrusted
    }
    if (RegistryTransport.answeredPlainHttp(failure)) {
      return false; // a server that speaks plain HTTP will not start speaking TLS
    }
    if (failure instanceof SSLPeerUnverifiedException) {
      return false; // a wrong host name stays wrong
    }
    // Resets, refused connections, and cut bodies (which OkHttp reports as a ProtocolException,
    // "unexpected end of stream"): the next connection usually gets through.
    return failure instanceof IOException;
  }

  /** The wait before retry {@code retry} (1-based): the server's Retry-After if given, else jittered back-off. */
  public Duration delay(int retry, Optional<Duration> retryAfter) {
    if (retryAfter.isPresent()) {
      Duration asked = retryAfter.get();
      return asked.compareTo(maxRetryAfter) > 0 ? maxRetryAfter : asked.isNegative() ? Duration.ZERO : asked;
    }
    long ceiling = firstBackoff.toNanos() << Math.min(retry - 1, 20);
    ceiling = Math.min(ceiling, maxBackoff.toNanos());
    double factor = 0.5 + 0.5 * Math.min(Math.max(jitter.getAsDouble(), 0.0), 1.0);
    return Duration.ofNanos((long) (ceiling * factor));
  }

  /** One attempt of an operation. */
  @FunctionalInterface
  public interface Attempt<T> {
    T run() throws IOException;
  }

  /** Runs {@code attempt} until it succeeds or the policy gives up (see {@link Attempts#failed}). */
  public <T> T run(String what, Attempt<T> attempt) throws IOException {
    Attempts attempts = attempts(what);
    while (true) {
      try {
        return attempt.run();
      } catch (IOException e) {
        attempts.failed(e);
      }
    }
  }

  /**
   * Starts counting the attempts of one operation, described for the error that may end it; for
   * callers whose next attempt differs from the last (a chunk resumes where it stopped).
   */
  public Attempts attempts(String what) {
    return new Attempts(what);
  }

  /** The attempts of one operation. */
  public final class Attempts {
    private final String what;
    private final List<Throwable> failures = new ArrayList<>();

    private Attempts(String what) {
      this.what = what;
    }

    /** Failed attempts so far. */
    public int failures() {
      return failures.size();
    }

    /**
     * Records a failed attempt. Returns, after waiting, when another attempt is worth making;
     * otherwise throws: the failure itself when it is not recoverable, or an exception saying the
     * attempts ran out, with every earlier failure attached as suppressed.
     */
    public void failed(IOException failure) throws IOException {
      failures.add(failure);
      if (!isRecoverable(failure)) {
        attachEarlier(failure);
        throw failure;
      }
      if (failures.size() >= maxAttempts) {
        IOException exhausted = new IOException(what + " failed after " + failures.size() + " attempts: "
            + failure.getMessage(), failure);
        attachEarlier(failure);
        throw exhausted;
      }
      Optional<Duration> asked = failure instanceof RetryableStatusException r ? r.retryAfter() : Optional.empty();
      try {
        sleeper.sleep(delay(failures.size(), asked));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        InterruptedIOException stopped = new InterruptedIOException("interrupted while waiting to retry " + what);
        failures.forEach(stopped::addSuppressed);
        throw stopped;
      }
    }

    private void attachEarlier(Throwable last) {
      for (Throwable earlier : failures) {
        if (earlier != last) {
          last.addSuppressed(earlier);
        }
      }
    }
  }

  /** A transient HTTP status (408, 429, 5xx), with the server's Retry-After when it gave one in seconds. */
  public static final class RetryableStatusException extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient Duration retryAfter;

    public RetryableStatusException(String message, Duration retryAfter) {
      super(message);
      this.retryAfter = retryAfter;
    }

    public Optional<Duration> retryAfter() {
      return Optional.ofNullable(retryAfter);
    }

    /** Parses a Retry-After header given in seconds; an HTTP date or garbage is ignored. */
    static Duration parseRetryAfter(String header) {
      if (header == null) {
        return null;
      }
      try {
        return Duration.ofSeconds(Math.max(0, Long.parseLong(header.trim())));
      } catch (NumberFormatException e) {
        return null;
      }
    }
  }
}
