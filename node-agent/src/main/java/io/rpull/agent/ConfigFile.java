package io.rpull.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** Reads rpulld's TOML config file: every key known, every value a string, number or boolean. */
final class ConfigFile {
  private ConfigFile() {}

  /** @return values by {@code section.name} */
  static Map<String, String> read(Path file) {
    JsonNode root;
    try {
      root = new TomlMapper().readTree(Files.readString(file));
    } catch (NoSuchFileException e) {
      throw new ConfigException(file + ": no such file");
    } catch (IOException e) {
      throw new ConfigException(file + ": not valid TOML: " + firstLine(e.getMessage()));
    }
    Set<String> known = ConfigKeys.ALL.stream().map(ConfigKeys.Key::path).collect(Collectors.toSet());
    Map<String, String> values = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> section : root.properties()) {
      if (!section.getValue().isObject()) {
        throw new ConfigException(file + ": \"" + section.getKey() + "\" must be a [section]; see rpulld --print-config");
      }
      for (Map.Entry<String, JsonNode> key : section.getValue().properties()) {
        String path = section.getKey() + "." + key.getKey();
        if (!known.contains(path)) {
          throw new ConfigException(file + ": unknown key " + path + "; see rpulld --print-config");
        }
        if (!key.getValue().isValueNode()) {
          throw new ConfigException(file + ": " + path + " must be a string, number or boolean");
        }
        values.put(path, key.getValue().asText());
      }
    }
    return values;
  }

  private static String firstLine(String message) {
    return message == null ? "" : message.lines().findFirst().orElse("");
  }
}
