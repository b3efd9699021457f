package io.rpull.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The test environment's fault-injecting front of the registry ({@code testenv/faultfront.py}): a
 * case is a fresh image behind the faults of a JSON spec; the front reports what each case saw.
 */
final class FaultFront {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private FaultFront() {}

  /** The front's listeners: main, alt (another host), tls (HTTPS, test CA), hole (never accepts). */
  static String host(String listener) {
    try {
      return JSON.readTree(Files.readString(Path.of(TestEnv.get("RPULL_FAULT_HOSTS")))).path(listener).asText();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A case: its image (pushed to the registry under {@code repository}) and its credentials. */
  record Created(String id, String repository, String topDigest, Map<String, String> roles, String user,
      String password) {
    /** Digests of the image's layers. */
    List<String> layers() {
      return roles.entrySet().stream().filter(e -> e.getValue().startsWith("layer")).map(Map.Entry::getKey).toList();
    }

    String digestOf(String role) {
      return roles.entrySet().stream().filter(e -> e.getValue().equals(role)).map(Map.Entry::getKey).findFirst()
          .orElseThrow(() -> new IllegalStateException("no " + role + " in " + roles));
    }
  }

  static Created create(String spec) throws Exception {
    JsonNode answer = call("POST", "/control/cases", spec);
    if (answer.has("error")) {
      throw new IllegalStateException("the fault front refused the case " + spec + ": " + answer.get("error"));
    }
    Map<String, String> roles = new TreeMap<>();
    answer.path("roles").fields().forEachRemaining(e -> roles.put(e.getKey(), e.getValue().asText()));
    return new Created(answer.path("id").asText(), answer.path("repository").asText(),
        answer.path("top").path("digest").asText(), roles, answer.path("user").asText(),
        answer.path("password").asText());
  }

  /** Removes the case's faults: the next pull meets a healthy registry. */
  static void clear(String id) throws Exception {
    call("POST", "/control/cases/" + id + "/clear", "{}");
  }

  /** The requests the case saw (listener, method, kind, ref, range, auth, query), in order. */
  static List<JsonNode> requests(String id) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    call("GET", "/control/cases/" + id, null).path("requests").forEach(out::add);
    return out;
  }

  /** Whether the case was asked for {@code role} (manifest, config, layer1, ...), waiting up to a second for it. */
  static boolean asked(String id, String role) throws Exception {
    return call("GET", "/control/cases/" + id + "/await?role=" + role + "&seconds=1", null).path("seen").asBoolean();
  }

  /** The tokens the case's token service issued. */
  static List<String> tokens(String id) throws Exception {
    List<String> out = new ArrayList<>();
    call("GET", "/control/cases/" + id, null).path("tokens").forEach(t -> out.add(t.path("token").asText()));
    return out;
  }

  private static JsonNode call(String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + host("main") + path));
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return JSON.readTree(HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray()).body());
  }
}
