package io.rpull.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rpull.types.Failure;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  private final List<Duration> waits = new ArrayList<>();

  private RetryPolicy policy(double jitter) {
    return new RetryPolicy(4, Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofSeconds(30), () -> jitter,
        waits::add);
  }

  @Test
  void backOff_doublesWithinTheJitterRange_andIsCapped() {
    RetryPolicy low = policy(0.0);
    RetryPolicy high = policy(0.999);
    assertEquals(Duration.ofMillis(100), low.delay(1, Optional.empty()));
    assertTrue(high.delay(1, Optional.empty()).toMillis() >= 199);
    assertEquals(Duration.ofMillis(200), low.delay(2, Optional.empty()));
    assertEquals(Duration.ofMillis(500), low.delay(5, Optional.empty()), "capped at maxBackoff, then jittered");
  }

  @Test
  void retryAfter_replacesTheBackOff_upToItsCap() {
    assertEquals(Duration.ofSeconds(7), policy(0.5).delay(1, Optional.of(Duration.ofSeconds(7))));
    assertEquals(Duration.ofSeconds(30), policy(0.5).delay(1, Optional.of(Duration.ofHours(1))));
  }

  @Test
  void attemptsRunOut_withEveryEarlierFailureKeptAsSuppressed() throws IOException {
    RetryPolicy.Attempts attempts = policy(0.0).attempts("fetch sha256:abc");
    attempts.failed(new EOFException("cut 1"));
    attempts.failed(new RetryPolicy.RetryableStatusException("429", Duration.ofSeconds(2)));
    attempts.failed(new IOException("reset"));
    IOException last = new IOException("reset again");
    IOException e = assertThrows(IOException.class, () -> attempts.failed(last));

    assertTrue(e.getMessage().startsWith("fetch sha256:abc failed after 4 attempts: reset again"), e.getMessage());
    assertSame(last, e.getCause());
    assertEquals(List.of("cut 1", "429", "reset"),
        java.util.Arrays.stream(last.getSuppressed()).map(Throwable::getMessage).toList());
    assertEquals(List.of(Duration.ofMillis(100), Duration.ofSeconds(2), Duration.ofMillis(400)), waits,
        "back-off, then the server's Retry-After, then back-off again");
  }

  @Test
  void aFailureThatWillNotGoAway_isThrownAtOnce_withoutWaiting() {
    RetryPolicy.Attempts attempts = policy(0.0).attempts("resolve x");
    SSLHandshakeException untrusted = new SSLHandshakeException("PKIX path building failed");
    untrusted.initCause(new CertificateException("untrusted"));
    assertSame(untrusted, assertThrows(SSLHandshakeException.class, () -> attempts.failed(untrusted)));
    assertTrue(waits.isEmpty());
  }

  @Test
  void recoverable_transientFailures_only() {
    RetryPolicy p = RetryPolicy.defaults();
    assertTrue(p.isRecoverable(new EOFException("unexpected end of stream")));
    assertTrue(p.isRecoverable(new java.net.ProtocolException("unexpected end of stream")));
    assertTrue(p.isRecoverable(new SocketTimeoutException("timeout")));
    assertTrue(p.isRecoverable(new RetryPolicy.RetryableStatusException("503", null)));
    assertFalse(p.isRecoverable(new RegistryException(Failure.NOT_FOUND, "not found")));
    assertFalse(p.isRecoverable(new java.io.InterruptedIOException("interrupted")));
    assertTrue(RetryPolicy.isRetryableStatus(429));
    assertTrue(RetryPolicy.isRetryableStatus(503));
    assertFalse(RetryPolicy.isRetryableStatus(404));
    assertFalse(RetryPolicy.isRetryableStatus(401));
  }
}
