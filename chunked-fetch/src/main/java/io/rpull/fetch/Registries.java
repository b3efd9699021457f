package io.rpull.fetch;

import java.time.Clock;
import java.util.List;
import java.util.Optional;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;

/**
 * The registry side of a process: one connection pool, one downloader with its node-wide limits
 * (connections, bandwidth, buffers), shared by every pull; each pull gets its own credentials and
 * token cache through {@link #open}.
 */
public final class Registries implements ImageSources, AutoCloseable {
  private final RegistrySettings settings;
  private final HttpClients http;
  private final HostsDirectory hosts;
  private final ChunkedBlobFetcher blobs;
  private final Clock clock;

  public Registries(RegistrySettings settings, Clock clock) {
    this(settings, clock, new HttpClients(settings.fetch(), settings.connectTimeout(), settings.stallTimeout(),
        settings.userAgent(), settings.httpLog().map(log -> new HttpDump(log.sink(), log.headers())).orElse(null)),
        new ChunkedBlobFetcher(settings.fetch()));
  }

  private Registries(RegistrySettings settings, Clock clock, HttpClients http, ChunkedBlobFetcher blobs) {
    this.settings = settings;
    this.clock = clock;
    this.http = http;
    this.hosts = new HostsDirectory(settings.hostsDir(), settings.plainHttp(), settings.tls());
    this.blobs = blobs;
  }

  /**
   * The same connections, downloader and limits, reaching registries as another caller asks
   * (its hosts directory, plain HTTP, TLS flags and node credentials): how a node agent serves a
   * command line's flags without a second connection pool or a second bandwidth budget. Closing
   * the view is not needed; closing this closes both.
   */
  public ImageSources withAccess(Optional<java.nio.file.Path> hostsDir, boolean plainHttp, TlsSettings tls,
      CredentialStore configured) {
    return new Registries(new RegistrySettings(hostsDir, plainHttp, tls, configured, settings.fetch(),
        settings.connectTimeout(), settings.stallTimeout(), settings.userAgent(), settings.httpLog()), clock, http,
        blobs);
  }

  @Override
  public ImageSource open(ImageReference reference, Optional<Credentials> credentials, FetchEvents counter) {
    CredentialStore store = credentials
        .map(c -> CredentialStore.forHost(reference.registry(), c).orElse(settings.configured()))
        .orElse(settings.configured());
    List<RegistryHost> registryHosts = hosts.hostsFor(reference.registry());
    ChallengeAuthenticator auth = new ChallengeAuthenticator(store,
        (challenged, realm) -> realmClient(registryHosts, challenged, realm), clock);
    return new RegistryClient(reference, registryHosts, new RegistryTransport(http, auth), blobs,
        settings.fetch().retry(), settings.httpLog().map(log -> logged(counter, log.sink())).orElse(counter));
  }

  /** With --http-trace or --http-dump, a host given up on is written beside the requests that failed. */
  private static FetchEvents logged(FetchEvents events, java.io.PrintWriter sink) {
    return new FetchEvents() {
      @Override
      public void received(io.rpull.types.Digest blob, long bytes) {
        events.received(blob, bytes);
      }

      @Override
      public void hostSkipped(String what, String host, String reason, String next) {
        sink.println(FetchEvents.describeSkip(what, host, reason, next));
        sink.flush();
        events.hostSkipped(what, host, reason, next);
      }
    };
  }

  /**
   * The client for a token realm: the challenged host's CAs and client certificate apply to its
   * realm, as containerd fetches tokens with the host's own client ({@code --tlscacert} reaches the
   * token service); skipping verification applies only to a realm on that same host and port.
   */
  private OkHttpClient realmClient(List<RegistryHost> registryHosts, HttpUrl challenged, HttpUrl realm) {
    for (RegistryHost host : registryHosts) {
      if (host.apiRoot().host().equals(challenged.host()) && host.apiRoot().port() == challenged.port()) {
        boolean sameHost = host.apiRoot().host().equals(realm.host()) && host.apiRoot().port() == realm.port();
        TlsSettings tls = host.tls();
        return http.forUrl(realm, sameHost ? tls : new TlsSettings(false, tls.caFiles(), tls.clientCertificate()));
      }
    }
    return http.forUrl(realm, TlsSettings.SYSTEM);
  }

  @Override
  public void close() {
    blobs.close();
    http.close();
  }
}
