package io.rpull.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The real test environment that {@code testenv/up} started, found through its exported variables.
 * A missing variable fails the test: integration tests never skip.
 */
final class TestEnv {
  private TestEnv() {}

  static String get(String name) {
    String value = System.getenv(name);
    if (value == null || value.isEmpty()) {
      throw new IllegalStateException(name + " is not set: run the integration tests through `make test`,"
          + " which starts the real test environment with testenv/up");
    }
    return value;
  }

  static String containerd() {
    return get("CONTAINERD_ADDRESS");
  }

  static String image(String kind) {
    return get("RPULL_IMAGE_" + kind);
  }

  static Path snapshotterRoot() {
    return Path.of(get("RPULL_SNAPSHOTTER_ROOT"));
  }

  static Path registryLog() {
    return Path.of(get("RPULL_REGISTRY_LOG"));
  }

  /** A fresh namespace, so that every test starts from an empty containerd view. */
  static String namespace(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  static Path projectRoot() {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    return Files.exists(dir.resolve("bin/rpull")) ? dir : dir.getParent();
  }

  /** What a finished process printed. */
  record Run(int exitCode, String stdout, String stderr) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
    }
  }

  /**
   * Runs {@code bin/rpull} as a user would, pulling in its own process: these tests are about the
   * pull itself, so the test environment's agent is not used (see {@link #rpullThroughAgent}).
   */
  static Run rpull(String... args) throws IOException, InterruptedException {
    return run(rpullCommand(args), Map.of());
  }

  /** Runs {@code bin/rpull} with the test environment's rpulld to hand its command to. */
  static Run rpullThroughAgent(String... args) throws IOException, InterruptedException {
    return run(rpullCommand(args), agent());
  }

  static final String AGENT_SOCKET = "RPULL_AGENT_SOCKET";

  /** {@code bin/rpull} with {@code args}. */
  static List<String> rpullCommand(String... args) {
    List<String> command = new ArrayList<>();
    command.add(projectRoot().resolve("bin/rpull").toString());
    command.addAll(List.of(args));
    return command;
  }

  /** The environment that points {@code bin/rpull} at the test environment's rpulld. */
  static Map<String, String> agent() {
    return Map.of(AGENT_SOCKET, get(AGENT_SOCKET));
  }

  /**
   * Reads a {@code -o json} pull's output until the download is under way (a progress event that
   * counted bytes); fails if the pull ends first. The reader is left at the next line.
   */
  static java.io.BufferedReader awaitBytesFetched(Process pull) throws IOException {
    java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(pull.getInputStream(),
        StandardCharsets.UTF_8));
    String line;
    while ((line = out.readLine()) != null && !(line.contains("\"event\":\"progress\"")
        && !line.contains("\"bytes_fetched\":0"))) {
      org.junit.jupiter.api.Assertions.assertFalse(line.contains("\"event\":\"result\""),
          "finished before it could be interrupted: " + line);
    }
    return out;
  }

  /** A process builder for {@code command} that pulls in-process unless {@code env} names the agent. */
  static ProcessBuilder process(List<String> command, Map<String, String> env) {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().remove(AGENT_SOCKET);
    pb.environment().putAll(env);
    return pb;
  }

  /** Starts {@code bin/rpull} without waiting for it; its output is discarded. */
  static Process startRpull(String... args) throws IOException {
    return process(rpullCommand(args), Map.of()).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
  }

  /** Bytes each blob digest was served with (200/206 answers) in a registry or nginx access log. */
  static Map<String, Long> blobBytesServed(Path log, long skipLines) throws IOException {
    java.util.regex.Pattern line = java.util.regex.Pattern.compile(
        "\"GET /v2/[^ ]+/blobs/(sha256:[a-f0-9]{64})[^\"]*\" (200|206) (\\d+)");
    Map<String, Long> served = new java.util.TreeMap<>();
    try (var lines = Files.lines(log)) {
      lines.skip(skipLines).forEach(l -> {
        java.util.regex.Matcher m = line.matcher(l);
        if (m.find()) {
          served.merge(m.group(1), Long.parseLong(m.group(3)), Long::sum);
        }
      });
    }
    return served;
  }

  /**
   * After a pull was killed and rerun: {@code layer} was served whole, and at most one window of it
   * twice (the chunks in flight, the one being written and a hedge copy: the default downloader's
   * memory bound, plus one message containerd had not yet taken).
   */
  static void assertRefetchedAtMostOneWindow(Path log, long fromLine, String layer, long size) throws IOException {
    long served = blobBytesServed(log, fromLine).getOrDefault(layer, 0L);
    io.rpull.fetch.FetchOptions defaults = io.rpull.fetch.FetchOptions.defaults();
    long window = defaults.memoryBoundPerBlob() + Math.min(defaults.chunkSize(), 4 << 20);
    org.junit.jupiter.api.Assertions.assertTrue(served >= size && served <= size + window,
        "served " + served + " bytes for a blob of " + size + " (at most " + window + " twice)");
  }

  static long lineCount(Path log) throws IOException {
    if (!Files.exists(log)) {
      return 0;
    }
    try (var lines = Files.lines(log)) {
      return lines.count();
    }
  }

  /** The layer descriptors (digest to size) of an image's manifest, read from the plain registry. */
  static Map<String, Long> layerSizes(String repository, String tag) throws Exception {
    var response = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://" + get("RPULL_REGISTRY") + "/v2/" + repository + "/manifests/" + tag))
        .header("Accept", "application/vnd.oci.image.manifest.v1+json").build(),
        java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    var manifest = new com.fasterxml.jackson.databind.ObjectMapper().readTree(response.body());
    Map<String, Long> sizes = new java.util.TreeMap<>();
    manifest.path("layers").forEach(l -> sizes.put(l.path("digest").asText(), l.path("size").asLong()));
    return sizes;
  }

  /** Runs the reference ctr (accelerated-container-image's, with rpull) against the test containerd. */
  static Run ctr(String namespace, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(get("RPULL_CTR"), "-a", containerd(), "-n", namespace));
    command.addAll(List.of(args));
    return run(command, Map.of("CONTAINERD_SNAPSHOTTER", "overlaybd"));
  }

  static Run run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
    ProcessBuilder pb = process(command, env);
    Path out = Files.createTempFile("rpull-it", ".out");
    Path err = Files.createTempFile("rpull-it", ".err");
    try {
      Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!p.waitFor(10, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IllegalStateException("timed out: " + command);
      }
      return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
