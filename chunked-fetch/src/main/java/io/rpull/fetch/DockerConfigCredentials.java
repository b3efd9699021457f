package io.rpull.fetch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rpull.types.Failure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Credentials from a docker {@code config.json}: {@code credHelpers} for the host, else
 * {@code credsStore}, else {@code auths}. A helper that fails is an error, never a silent fallback
 * to other credentials (CVE-2021-41092).
 */
public final class DockerConfigCredentials implements CredentialStore {
  private final JsonNode config;
  private final Path file;
  private final CredentialHelper helpers;

  private DockerConfigCredentials(JsonNode config, Path file, CredentialHelper helpers) {
    this.config = config;
    this.file = file;
    this.helpers = helpers;
  }

  /**
   * Reads {@code $DOCKER_CONFIG/config.json} or {@code ~/.docker/config.json}; no file means no
   * credentials.
   */
  public static CredentialStore load(Map<String, String> env, CredentialHelper helpers) {
    Path dir = env.containsKey("DOCKER_CONFIG") ? Path.of(env.get("DOCKER_CONFIG"))
        : Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".docker");
    return load(dir.resolve("config.json"), helpers);
  }

  public static CredentialStore load(Path file, CredentialHelper helpers) {
    if (!Files.isRegularFile(file)) {
      return CredentialStore.NONE;
    }
    try {
      return new DockerConfigCredentials(new ObjectMapper().readTree(file.toFile()), file, helpers);
    } catch (IOException e) {
      // The file holds secrets: name it, never echo it (CVE-2020-8564).
      throw new RegistryException(Failure.AUTH, "docker config " + file + " is not valid JSON");
    }
  }

  @Override
  public Optional<Credentials> lookup(String host) {
    for (String key : keysFor(host)) {
      String helper = config.path("credHelpers").path(key).asText("");
      if (!helper.isEmpty()) {
        return helpers.get(helper, key);
      }
    }
    String store = config.path("credsStore").asText("");
    if (!store.isEmpty()) {
      Optional<Credentials> fromStore = helpers.get(store, serverUrlFor(host));
      if (fromStore.isPresent()) {
        return fromStore;
      }
    }
    JsonNode auths = config.path("auths");
    for (String key : keysFor(host)) {
      Iterator<Map.Entry<String, JsonNode>> entries = auths.fields();
      while (entries.hasNext()) {
        Map.Entry<String, JsonNode> e = entries.next();
        if (normalize(e.getKey()).equals(key)) {
          return decode(e.getValue(), e.getKey());
        }
      }
    }
    return Optional.empty();
  }

  private Optional<Credentials> decode(JsonNode entry, String key) {
    String identity = entry.path("identitytoken").asText("");
    String auth = entry.path("auth").asText("");
    String user = entry.path("username").asText("");
    String password = entry.path("password").asText("");
    if (!auth.isEmpty()) {
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new RegistryException(Failure.AUTH,
            "docker config " + file + ": the \"auth\" of " + key + " is not valid base64");
      }
      int colon = decoded.indexOf(':');
      if (colon < 0) {
        throw new RegistryException(Failure.AUTH,
            "docker config " + file + ": the \"auth\" of " + key + " is not user:password");
      }
      user = decoded.substring(0, colon);
      password = decoded.substring(colon + 1);
    }
    if (!identity.isEmpty()) {
      return Optional.of(new Credentials("", identity));
    }
    return user.isEmpty() && password.isEmpty() ? Optional.empty() : Optional.of(new Credentials(user, password));
  }

  /** The keys a host may be stored under, normalised: exact host[:port], Docker Hub aliases. */
  private static List<String> keysFor(String host) {
    List<String> keys = new ArrayList<>(List.of(host));
    if (DockerHub.ALIASES.contains(host)) {
      keys.addAll(DockerHub.ALIASES);
    }
    return keys;
  }

  /** {@code https://index.docker.io/v1/} → {@code index.docker.io}; {@code http://h:5000} → {@code h:5000}. */
  static String normalize(String key) {
    String k = key.replaceFirst("^[a-zA-Z][a-zA-Z0-9+.-]*://", "");
    int slash = k.indexOf('/');
    return slash < 0 ? k : k.substring(0, slash);
  }

  private static String serverUrlFor(String host) {
    return DockerHub.ALIASES.contains(host) ? "https://index.docker.io/v1/" : host;
  }
}
