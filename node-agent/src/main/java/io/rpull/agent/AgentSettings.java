package io.rpull.agent;

import io.rpull.cli.ByteSize;
import io.rpull.cli.GoDuration;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Turns config file values and flags (flags win) into an {@link AgentConfig}, each bad value one clear line. */
final class AgentSettings {
  private final Map<String, String> file;
  private final Map<String, String> flags;

  /** Both keyed by {@code section.name}. */
  AgentSettings(Map<String, String> file, Map<String, String> flags) {
    this.file = file;
    this.flags = flags;
  }

  AgentConfig resolve() {
    Path address = Path.of(text("containerd.address"));
    String criSocket = text("containerd.cri_socket");
    int chunkSize = size("limits.chunk_size");
    if (chunkSize < 64 << 10 || chunkSize > 64 << 20) {
      throw invalid("limits.chunk_size", "must be between 64KiB and 64MiB");
    }
    return new AgentConfig(address, criSocket.isEmpty() ? address : Path.of(criSocket),
        nonEmpty("containerd.namespace"), nonEmpty("containerd.snapshotter"), optionalPath("registry.hosts_dir"),
        Path.of(nonEmpty("sockets.cri")), Path.of(nonEmpty("sockets.agent")),
        Optional.of(text("sockets.group")).filter(g -> !g.isEmpty()), metricsAddress(),
        atLeastOne("limits.blobs_at_once"), chunkSize, atLeastOne("limits.chunks_per_blob"),
        atLeastOne("limits.max_connections"), size("limits.max_bandwidth"), duration("containerd.connect_timeout"),
        duration("drain.timeout"));
  }

  private String text(String key) {
    if (flags.containsKey(key)) {
      return flags.get(key);
    }
    if (file.containsKey(key)) {
      return file.get(key);
    }
    return ConfigKeys.byPath(key).defaultValue();
  }

  private String nonEmpty(String key) {
    String value = text(key);
    if (value.isBlank()) {
      throw invalid(key, "must not be empty");
    }
    return value;
  }

  private Optional<Path> optionalPath(String key) {
    return Optional.of(text(key)).filter(v -> !v.isBlank()).map(Path::of);
  }

  private int atLeastOne(String key) {
    try {
      int n = Integer.parseInt(text(key).strip());
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw invalid(key, "must be a whole number, at least 1");
  }

  private int size(String key) {
    try {
      return new ByteSize().convert(text(key));
    } catch (RuntimeException e) {
      throw invalid(key, "use a size such as 4MiB");
    }
  }

  private Duration duration(String key) {
    try {
      return GoDuration.parse(text(key));
    } catch (RuntimeException e) {
      throw invalid(key, "use a duration such as 30s or 2m");
    }
  }

  private Optional<InetSocketAddress> metricsAddress() {
    String value = text("metrics.address").strip();
    if (value.isEmpty()) {
      return Optional.empty();
    }
    int colon = value.lastIndexOf(':');
    try {
      int port = Integer.parseInt(value.substring(colon + 1));
      String host = value.substring(0, colon).replaceAll("^\\[|\\]$", "");
      return Optional.of(new InetSocketAddress(host.isEmpty() ? "127.0.0.1" : host, port));
    } catch (RuntimeException e) {
      throw invalid("metrics.address", "use host:port, e.g. 127.0.0.1:9347, or \"\" for none");
    }
  }

  private ConfigException invalid(String key, String why) {
    String flag = ConfigKeys.byPath(key).flag();
    String from = flags.containsKey(key) ? flag : file.containsKey(key) ? key : key + " (default)";
    return new ConfigException("invalid " + from + " \"" + text(key) + "\": " + why);
  }
}
