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
    this.settings = settings;
    this.clock = clock;
    this.http = new HttpClients(settings.fetch(), settings.connectTimeout(), settings.stallTimeout(),
        settings.userAgent(), settings.httpLog().map(log -> new HttpDump(log.sink(), log.headers())).orElse(null));
    this.hosts = new HostsDirectory(settings.hostsDir(), settings.plainHttp(), settings.tls());
    this.blobs = new ChunkedBlobFetcher(settings.fetch());
  }

  @Override
  public ImageSource open(ImageReference reference, Optional<Credentials> credentials, ByteCounter counter) {
    CredentialStore store = credentials
        .map(c -> CredentialStore.forHost(reference.registry(), c).orElse(settings.configured()))
        .orElse(settings.configured());
    List<RegistryHost> registryHosts = hosts.hostsFor(reference.registry());
    ChallengeAuthenticator auth = new ChallengeAuthenticator(store, realm -> realmClient(registryHosts, realm), clock);
    return new RegistryClient(reference, registryHosts, new RegistryTransport(http, auth), blobs,
        settings.fetch().retry(), counter);
  }

  /** A token realm on one of the registry's hosts gets that host's TLS settings; any other realm the defaults. */
  private OkHttpClient realmClient(List<RegistryHost> registryHosts, HttpUrl realm) {
    for (RegistryHost host : registryHosts) {
      if (host.apiRoot().host().equals(realm.host()) && host.apiRoot().port() == realm.port()) {
        return http.forTls(host.tls());
      }
    }
    return http.base();
  }

  @Override
  public void close() {
    blobs.close();
    http.close();
  }
}
