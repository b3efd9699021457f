package io.rpull.fetch;

import java.util.concurrent.atomic.AtomicReference;
import okhttp3.HttpUrl;

/**
 * Where the chunks of one blob are fetched: the registry host that answered first, and the
 * storage URL it redirected to, reused while it keeps working (presigned URLs expire; then the
 * registry is asked again for a fresh one).
 */
final class BlobRoute {
  final RegistryHost host;
  final BlobLocation blob;
  final RegistryTransport transport;
  final FetchEvents counter;
  private final AtomicReference<HttpUrl> redirectTarget = new AtomicReference<>();

  BlobRoute(RegistryHost host, BlobLocation blob, RegistryTransport transport, FetchEvents counter) {
    this.host = host;
    this.blob = blob;
    this.transport = transport;
    this.counter = counter;
  }

  HttpUrl registryUrl() {
    return host.url(blob.repository(), "blobs", blob.digest().toString());
  }

  HttpUrl redirectTarget() {
    return redirectTarget.get();
  }

  void remember(HttpUrl finalUrl) {
    if (!RegistryTransport.isSameOrigin(registryUrl(), finalUrl)) {
      redirectTarget.set(finalUrl);
    }
  }

  void forget(HttpUrl stale) {
    redirectTarget.compareAndSet(stale, null);
  }
}
