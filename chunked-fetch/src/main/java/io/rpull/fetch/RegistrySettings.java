package io.rpull.fetch;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How a process reaches registries: hosts and TLS as ctr's flags and a hosts directory give them,
 * the credentials configured on the node, the downloader's tuning, and what to log.
 *
 * @param hostsDir containerd's {@code hosts.toml} / {@code certs.d} directory ({@code --hosts-dir})
 * @param plainHttp {@code --plain-http}
 * @param tls the flags' TLS settings, applied to a registry without its own hosts.toml TLS
 * @param configured credentials of the node (docker's config.json and helpers); per-pull
 *     credentials come first, for their own registry only
 * @param fetch the downloader's tuning and the retry policy of every request
 * @param connectTimeout TCP and TLS connect timeout
 * @param stallTimeout a connection that delivers nothing for this long is retried
 * @param userAgent the User-Agent header
 * @param httpLog where --http-dump and --http-trace write, if anywhere
 */
public record RegistrySettings(Optional<Path> hostsDir, boolean plainHttp, TlsSettings tls,
    CredentialStore configured, FetchOptions fetch, Duration connectTimeout, Duration stallTimeout, String userAgent,
    Optional<HttpLog> httpLog) {

  /** --http-dump (every request and response head, secrets redacted) or --http-trace (one line per request). */
  public record HttpLog(PrintWriter sink, boolean headers) {
    public HttpLog {
      Objects.requireNonNull(sink, "sink");
    }
  }

  public RegistrySettings {
    Objects.requireNonNull(hostsDir, "hostsDir");
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(configured, "configured");
    Objects.requireNonNull(fetch, "fetch");
    Objects.requireNonNull(httpLog, "httpLog");
  }
}
