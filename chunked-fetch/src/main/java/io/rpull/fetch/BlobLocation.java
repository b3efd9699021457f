package io.rpull.fetch;

import okhttp3.HttpUrl;

/** A blob to download: where it lives, and the size and digest it must have. */
public record BlobLocation(RegistryEndpoint endpoint, String repository, Digest digest, long size) {
  public HttpUrl url() {
    return endpoint.url(repository, "blobs", digest.toString());
  }
}
