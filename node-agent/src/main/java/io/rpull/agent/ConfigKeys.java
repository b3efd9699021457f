package io.rpull.agent;

import java.util.List;

/** Every key of rpulld's config file, its default and its meaning: one table for the parser, the flags and the docs. */
final class ConfigKeys {
  /** One key: {@code [section] name = default}. */
  record Key(String section, String name, String flag, String defaultValue, String meaning) {
    String path() {
      return section + "." + name;
    }
  }

  static final List<Key> ALL = List.of(
      new Key("containerd", "address", "--containerd-address", "/run/containerd/containerd.sock",
          "containerd's gRPC socket"),
      new Key("containerd", "cri_socket", "--containerd-cri-socket", "",
          "containerd's own CRI socket, where image status, list, remove and fs info are forwarded;"
              + " empty: the same as address"),
      new Key("containerd", "namespace", "--namespace", "k8s.io",
          "namespace of CRI pulls (kubelet looks in k8s.io)"),
      new Key("containerd", "snapshotter", "--snapshotter", "overlaybd",
          "snapshotter, as containerd's CRI is configured: overlaybd layers are downloaded and placed, others applied"),
      new Key("containerd", "connect_timeout", "--connect-timeout", "10s",
          "timeout for connecting to containerd and to registries"),
      new Key("registry", "hosts_dir", "--hosts-dir", "/etc/containerd/certs.d",
          "containerd's hosts.toml directory (CRI's config_path): mirrors, TLS, plain HTTP per registry"),
      new Key("limits", "blobs_at_once", "--blobs-at-once", "6",
          "layer blobs downloading at once across every pull on the node"),
      new Key("limits", "max_connections", "--max-connections", "16",
          "range requests in flight across the node"),
      new Key("limits", "chunk_size", "--chunk-size", "4MiB", "bytes per range request (64KiB to 64MiB)"),
      new Key("limits", "chunks_per_blob", "--chunks-per-blob", "6", "range requests of one blob in flight"),
      new Key("limits", "max_bandwidth", "--max-bandwidth", "0",
          "download bandwidth across the node, e.g. 200MiB (bytes per second); 0: none"),
      new Key("sockets", "cri", "--cri-socket", "/run/rpull/cri.sock",
          "the CRI image service (kubelet's imageServiceEndpoint)"),
      new Key("sockets", "agent", "--agent-socket", "/run/rpull/agent.sock",
          "where the rpull command line hands its work over"),
      new Key("sockets", "group", "--socket-group", "",
          "empty: both sockets are root-only (0600); a group name: 0660, owned by that group"),
      new Key("metrics", "address", "--metrics-address", "127.0.0.1:9347",
          "host:port of /metrics (Prometheus text) and /healthz; empty: off"),
      new Key("drain", "timeout", "--drain-timeout", "2m",
          "on SIGTERM, how long in-flight pulls may run on before they are stopped (resumable)"));

  private ConfigKeys() {}

  /** The key at {@code section.name}; every caller names a key of {@link #ALL}. */
  static Key byPath(String path) {
    return ALL.stream().filter(k -> k.path().equals(path)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no config key " + path));
  }

  /** The documented default config file, as {@code rpulld --print-config} prints it. */
  static String defaultFile() {
    StringBuilder toml = new StringBuilder("# rpulld configuration; every key shown with its default.\n");
    String section = "";
    for (Key k : ALL) {
      if (!k.section().equals(section)) {
        section = k.section();
        toml.append('\n').append('[').append(section).append("]\n");
      }
      toml.append("# ").append(k.meaning()).append(" (flag ").append(k.flag()).append(")\n");
      toml.append(k.name()).append(" = \"").append(k.defaultValue()).append("\"\n");
    }
    return toml.toString();
  }
}
