package io.rpull.fetch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import io.rpull.types.Failure;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import okhttp3.HttpUrl;

/**
 * The hosts of a registry, read the way containerd reads a {@code --hosts-dir}:
 * {@code <dir>/<host[:port]>/hosts.toml} (else {@code <dir>/_default/hosts.toml}), mirrors in file
 * order followed by the upstream {@code server}; without a hosts.toml, the docker {@code certs.d}
 * layout of the same directory ({@code *.crt} CAs, {@code *.cert}/{@code *.key} client pairs).
 */
public final class HostsDirectory {
  private static final Set<RegistryHost.Capability> MIRROR_DEFAULT =
      EnumSet.of(RegistryHost.Capability.PULL, RegistryHost.Capability.RESOLVE);
  private static final Set<RegistryHost.Capability> SERVER_DEFAULT = EnumSet.allOf(RegistryHost.Capability.class);

  private final Optional<Path> directory;
  private final boolean plainHttp;
  private final TlsSettings flagTls;

  /**
   * @param directory {@code --hosts-dir}, if given
   * @param plainHttp {@code --plain-http}: the default scheme of hosts without one
   * @param flagTls TLS from {@code --skip-verify}, {@code --tlscacert}, {@code --tlscert/--tlskey}:
   *     applied to the upstream server unless its hosts.toml says otherwise
   */
  public HostsDirectory(Optional<Path> directory, boolean plainHttp, TlsSettings flagTls) {
    this.directory = directory;
    this.plainHttp = plainHttp;
    this.flagTls = flagTls;
  }

  /** The hosts to try for {@code registry}, in order. */
  public List<RegistryHost> hostsFor(String registry) {
    String defaultScheme = plainHttp ? "http" : "https";
    String upstreamHost = registry.equals("docker.io") ? "registry-1.docker.io" : registry;
    HttpUrl defaultServer = HttpUrl.get(defaultScheme + "://" + upstreamHost + "/v2/");
    Optional<Path> hostDir = directory.map(d -> d.resolve(registry)).filter(Files::isDirectory);
    Optional<Path> toml = hostDir.map(d -> d.resolve("hosts.toml")).filter(Files::isRegularFile)
        .or(() -> directory.map(d -> d.resolve("_default").resolve("hosts.toml")).filter(Files::isRegularFile));
    if (toml.isPresent()) {
      return fromToml(toml.get(), registry, defaultServer, defaultScheme);
    }
    TlsSettings tls = hostDir.map(this::certsDirTls).orElse(flagTls);
    return List.of(new RegistryHost(defaultServer, SERVER_DEFAULT, tls, Map.of(), false, Optional.empty(),
        fallsBackToHttp(registry)));
  }

  /**
   * containerd's rule for a registry nobody configured: a loopback one ({@code localhost} or a
   * loopback IP, decided on the name as written, never on what it resolves to) with a port other
   * than 443 is tried over https and, when it answers plain HTTP, over http. Unlike containerd,
   * https to it is still verified.
   */
  private boolean fallsBackToHttp(String registry) {
    if (plainHttp) {
      return false;
    }
    HttpUrl url = HttpUrl.parse("https://" + registry);
    if (url == null || registry.indexOf(':', registry.lastIndexOf(']') + 1) < 0 || url.port() == 443) {
      return false;
    }
    String host = url.host();
    if (host.equals("localhost")) {
      return true;
    }
    boolean ipLiteral = host.matches("[0-9.]+") || host.contains(":");
    try {
      return ipLiteral && java.net.InetAddress.getByName(host).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  /** containerd sends {@code ns=<registry>} to every host that is not the registry itself. */
  private static Optional<String> proxyFor(String registry, HttpUrl host) {
    boolean same = ChallengeAuthenticator.authority(host).equals(registry)
        || (registry.equals("docker.io") && host.host().equals("registry-1.docker.io"));
    return same ? Optional.empty() : Optional.of(registry);
  }

  private List<RegistryHost> fromToml(Path file, String registry, HttpUrl defaultServer, String defaultScheme) {
    JsonNode root;
    try {
      root = new TomlMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new RegistryException(Failure.USAGE,
          "hosts file " + file + " is not valid TOML: " + e.getMessage().lines().findFirst().orElse(""));
    }
    Path base = file.getParent();
    List<RegistryHost> hosts = new ArrayList<>();
    Iterator<Map.Entry<String, JsonNode>> mirrors = root.path("host").fields();
    while (mirrors.hasNext()) {
      Map.Entry<String, JsonNode> m = mirrors.next();
      hosts.add(host(file, base, registry, m.getKey(), m.getValue(), defaultScheme, MIRROR_DEFAULT, TlsSettings.SYSTEM,
          true, false));
    }
    String server = root.path("server").asText("");
    if (server.isEmpty()) {
      // No server named: the registry itself, by containerd's defaults (the loopback fallback included).
      hosts.add(host(file, base, registry,
          defaultServer.scheme() + "://" + defaultServer.host() + portSuffix(defaultServer), root, defaultScheme,
          SERVER_DEFAULT, flagTls, false, fallsBackToHttp(registry)));
    } else {
      hosts.add(host(file, base, registry, server, root, defaultScheme, SERVER_DEFAULT, flagTls, false, false));
    }
    return hosts;
  }

  private RegistryHost host(Path file, Path base, String registry, String location, JsonNode node,
      String defaultScheme,
      Set<RegistryHost.Capability> defaultCapabilities, TlsSettings inherited, boolean mirror, boolean httpFallback) {
    String withScheme = location.contains("://") ? location : defaultScheme + "://" + location;
    HttpUrl url = HttpUrl.parse(withScheme);
    if (url == null) {
      throw new RegistryException(Failure.USAGE, file + ": invalid host \"" + location + "\"");
    }
    boolean overridePath = node.path("override_path").asBoolean(false);
    HttpUrl apiRoot = overridePath ? url : apiRootOf(url);
    Set<RegistryHost.Capability> capabilities = defaultCapabilities;
    if (node.has("capabilities")) {
      capabilities = EnumSet.noneOf(RegistryHost.Capability.class);
      for (JsonNode c : node.get("capabilities")) {
        try {
          capabilities.add(RegistryHost.Capability.valueOf(c.asText().toUpperCase(java.util.Locale.ROOT)));
        } catch (IllegalArgumentException e) {
          throw new RegistryException(Failure.USAGE,
              file + ": unknown capability \"" + c.asText() + "\" (pull, resolve, push)");
        }
      }
    }
    List<Path> cas = new ArrayList<>(inherited.caFiles());
    for (JsonNode ca : node.path("ca").isArray() ? node.path("ca") : List.of(node.path("ca"))) {
      if (!ca.asText("").isEmpty()) {
        cas.add(base.resolve(ca.asText()));
      }
    }
    Optional<TlsSettings.ClientCertificate> client = inherited.clientCertificate();
    JsonNode c = node.path("client");
    if (c.isTextual()) {
      client = Optional.of(new TlsSettings.ClientCertificate(base.resolve(c.asText()), base.resolve(c.asText())));
    } else if (c.isArray() && c.size() > 0) {
      JsonNode pair = c.get(0);
      client = pair.isArray()
          ? Optional.of(new TlsSettings.ClientCertificate(base.resolve(pair.get(0).asText()),
              base.resolve(pair.get(1).asText())))
          : Optional.of(new TlsSettings.ClientCertificate(base.resolve(pair.asText()), base.resolve(pair.asText())));
    }
    boolean skip = node.has("skip_verify") ? node.get("skip_verify").asBoolean() : inherited.skipVerify();
    Map<String, String> headers = new LinkedHashMap<>();
    node.path("header").fields().forEachRemaining(h -> headers.put(h.getKey(),
        h.getValue().isArray() ? h.getValue().path(0).asText() : h.getValue().asText()));
    return new RegistryHost(apiRoot, capabilities, new TlsSettings(skip, cas, client), headers, mirror,
        proxyFor(registry, url), httpFallback);
  }

  /** containerd appends /v2 to a host's path unless it already ends with it. */
  private static HttpUrl apiRootOf(HttpUrl url) {
    String path = url.encodedPath().replaceAll("/+$", "");
    if (!path.endsWith("/v2")) {
      path = path + "/v2";
    }
    return url.newBuilder().encodedPath(path + "/").build();
  }

  private static String portSuffix(HttpUrl url) {
    return url.port() == HttpUrl.defaultPort(url.scheme()) ? "" : ":" + url.port();
  }

  private TlsSettings certsDirTls(Path dir) {
    List<Path> cas = new ArrayList<>(flagTls.caFiles());
    Optional<TlsSettings.ClientCertificate> client = flagTls.clientCertificate();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (name.endsWith(".crt")) {
          cas.add(f);
        } else if (name.endsWith(".cert")) {
          Path key = dir.resolve(name.substring(0, name.length() - ".cert".length()) + ".key");
          if (Files.exists(key)) {
            client = Optional.of(new TlsSettings.ClientCertificate(f, key));
          }
        }
      }
    } catch (IOException e) {
      throw new RegistryException(Failure.USAGE, "cannot read " + dir + ": " + e.getMessage());
    }
    cas.sort(null);
    return new TlsSettings(flagTls.skipVerify(), cas, client);
  }
}
