package io.rpull.fetch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rpull.types.Failure;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** Runs {@code docker-credential-<name> get}, with a deadline. */
public final class CredentialHelper {
  private final Function<List<String>, ProcessBuilder> processes;
  private final Duration timeout;

  /** @param processes how to start a command; tests pass a fake, production {@code ProcessBuilder::new} */
  public CredentialHelper(Function<List<String>, ProcessBuilder> processes, Duration timeout) {
    this.processes = processes;
    this.timeout = timeout;
  }

  public static CredentialHelper system() {
    return new CredentialHelper(ProcessBuilder::new, Duration.ofSeconds(10));
  }

  /** Credentials the helper has for {@code serverUrl}; empty when it has none. Any failure is an error. */
  public Optional<Credentials> get(String helper, String serverUrl) {
    if (!helper.matches("[A-Za-z0-9._-]+")) {
      throw failure(helper, "invalid helper name");
    }
    String program = "docker-credential-" + helper;
    Process process;
    try {
      process = processes.apply(List.of(program, "get")).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw failure(helper, program + " could not be run: " + e.getMessage());
    }
    try (OutputStream stdin = process.getOutputStream()) {
      stdin.write(serverUrl.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // The helper may exit without reading; its exit status says what happened.
    }
    byte[] output;
    try (InputStream stdout = process.getInputStream()) {
      java.util.concurrent.CompletableFuture<byte[]> read = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          return stdout.readNBytes(1 << 20);
        } catch (IOException e) {
          return new byte[0];
        }
      });
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw failure(helper, program + " did not answer within " + timeout.toSeconds() + "s");
      }
      output = read.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw failure(helper, "interrupted");
    } catch (IOException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      process.destroyForcibly();
      throw failure(helper, "reading its answer failed");
    }
    String text = new String(output, StandardCharsets.UTF_8);
    if (process.exitValue() != 0) {
      if (text.toLowerCase(java.util.Locale.ROOT).contains("credentials not found")) {
        return Optional.empty();
      }
      // Its output may contain secrets: report only the status.
      throw failure(helper, program + " exited with status " + process.exitValue());
    }
    try {
      JsonNode json = new ObjectMapper().readTree(text);
      String user = json.path("Username").asText("");
      String secret = json.path("Secret").asText("");
      return secret.isEmpty() ? Optional.empty() : Optional.of(new Credentials(user, secret));
    } catch (IOException e) {
      throw failure(helper, program + " answered something that is not JSON");
    }
  }

  private static RegistryException failure(String helper, String why) {
    return new RegistryException(Failure.AUTH, "credential helper \"" + helper + "\" failed: " + why);
  }
}
