package io.rpull.fetch;

import io.rpull.types.Descriptor;
import io.rpull.types.Digest;
import io.rpull.types.Failure;
import io.rpull.types.MediaTypes;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import okhttp3.Request;
import okhttp3.Response;

/**
 * One image's registry for one pull: resolves the reference, fetches the small documents (index,
 * manifest, config), each verified against its digest before it is parsed, and opens layer blobs
 * through the shared chunked downloader. Every request is retried by the one {@link RetryPolicy}.
 */
public final class RegistryClient implements ImageSource {
  /** containerd's limit for manifests and indexes (4 * 1048 * 1048). */
  public static final long MAX_MANIFEST_BYTES = 4L * 1048 * 1048;
  /** Configs are JSON too; a config larger than this is hostile, not an image. */
  public static final long MAX_CONFIG_BYTES = 16L * 1024 * 1024;

  private final ImageReference ref;
  private final RegistryTransport transport;
  private final List<RegistryHost> hosts;
  private final ChunkedBlobFetcher blobs;
  private final RetryPolicy retry;
  private final FetchEvents events;
  private final DocumentParser parser = new DocumentParser();

  /** @param hosts where the registry's content can be had, mirrors first, as {@link HostsDirectory} lists them */
  public RegistryClient(ImageReference ref, List<RegistryHost> hosts, RegistryTransport transport,
      ChunkedBlobFetcher blobs, RetryPolicy retry, FetchEvents events) {
    this.ref = Objects.requireNonNull(ref, "ref");
    this.transport = Objects.requireNonNull(transport, "transport");
    this.hosts = List.copyOf(hosts);
    this.blobs = Objects.requireNonNull(blobs, "blobs");
    this.retry = Objects.requireNonNull(retry, "retry");
    this.events = Objects.requireNonNull(events, "events");
  }


  /** One attempt at one host. */
  @FunctionalInterface
  private interface HostCall<T> {
    T call(RegistryHost host) throws IOException;
  }

  /**
   * Tries the hosts that have {@code capability} in order, as containerd does: a host that fails or
   * does not have the content passes to the next; the last host's failure is the answer. Content
   * that fails verification stops the search: it is an attack or a broken registry, not a miss.
   */
  private <T> T firstAnswer(RegistryHost.Capability capability, String what, HostCall<T> call) {
    List<RegistryHost> capable = hosts.stream().filter(h -> h.can(capability)).toList();
    if (capable.isEmpty()) {
      throw new RegistryException(Failure.USAGE,
          what + ": no configured host has the " + capability.name().toLowerCase(java.util.Locale.ROOT) + " capability");
    }
    RegistryException last = null;
    RegistryException answer = null;
    for (int i = 0; i < capable.size(); i++) {
      RegistryHost host = capable.get(i);
      try {
        // A 429, a reset or a cut body is not an answer: the same host is asked again first.
        boolean another = i + 1 < capable.size();
        return retry.run(what + " from " + host.authority(), () -> another
            ? RegistryTransport.leavingUnreachable(() -> call.call(host), host.authority()) : call.call(host));
      } catch (IOException e) {
        last = network(what + " from " + host.authority(), e);
      } catch (RegistryException e) {
        if (e.failure() == Failure.VERIFICATION || e.failure() == Failure.USAGE
            || e.failure() == Failure.OTHER) {
          throw e;
        }
        last = e;
      }
      if (i + 1 < capable.size()) {
        events.hostSkipped(what, host.authority(), last.getMessage(), capable.get(i + 1).authority());
      }
      // A host that answered (not found, unauthorized) says more than one that could not be reached.
      if (answer == null && last.failure() != Failure.NETWORK) {
        answer = last;
      }
    }
    if (answer != null && last.failure() == Failure.NETWORK) {
      throw answer;
    }
    throw last;
  }

  /**
   * Resolves the reference to its top-level descriptor. The digest is computed from the bytes; a
   * reference with a digest, or a Docker-Content-Digest header, must agree with it.
   */
  @Override
  public Resolved resolve() {
    String what = "resolve " + ref;
    return firstAnswer(RegistryHost.Capability.RESOLVE, what, host -> {
      Request request = new Request.Builder()
          .url(host.url(ref.repository(), "manifests", ref.object()))
          .header("Accept", MediaTypes.MANIFEST_ACCEPT)
          .build();
      try (Response response = transport.execute(host, request)) {
        HttpErrors.throwIfFailed(response, what);
        byte[] body = readCapped(response, MAX_MANIFEST_BYTES, what);
        Digest digest = Digest.sha256Of(body);
        ref.digest().filter(d -> !d.equals(digest)).ifPresent(d -> {
          throw new RegistryException(Failure.VERIFICATION,
              what + ": digest mismatch: " + host.authority() + " sent " + digest);
        });
        Optional.ofNullable(response.header("Docker-Content-Digest"))
            .filter(h -> !h.equals(digest.toString()))
            .ifPresent(h -> {
              throw new RegistryException(Failure.VERIFICATION,
                  what + ": Docker-Content-Digest " + HttpErrors.sanitize(h) + " does not match the content " + digest);
            });
        String mediaType = parser.mediaTypeOf(body, response.header("Content-Type"), digest);
        return new Resolved(Descriptor.of(mediaType, digest, body.length), body);
      }
    });
  }

  @Override
  public byte[] fetchDocument(Descriptor descriptor) {
    String repository = ref.repository();
    boolean config = MediaTypes.isConfig(descriptor.mediaType())
        || !(MediaTypes.isManifest(descriptor.mediaType()) || MediaTypes.isIndex(descriptor.mediaType()));
    long cap = config ? MAX_CONFIG_BYTES : MAX_MANIFEST_BYTES;
    String what = "fetch " + descriptor.digest();
    if (descriptor.size() > cap) {
      throw new RegistryException(Failure.VERIFICATION,
          what + ": " + descriptor.size() + " bytes is more than the " + cap + " allowed for " + descriptor.mediaType());
    }
    return firstAnswer(RegistryHost.Capability.PULL, what, host -> {
      Request request = new Request.Builder()
          .url(host.url(repository, config ? "blobs" : "manifests", descriptor.digest().toString()))
          .header("Accept", config ? "*/*" : descriptor.mediaType())
          .build();
      try (Response response = transport.execute(host, request)) {
        HttpErrors.throwIfFailed(response, what);
        byte[] body = readCapped(response, descriptor.size(), what);
        if (body.length != descriptor.size() || !Digest.sha256Of(body).equals(descriptor.digest())) {
          throw new RegistryException(Failure.VERIFICATION,
              what + ": content from " + host.authority() + " does not match its descriptor (got " + body.length
                  + " bytes, digest " + Digest.sha256Of(body) + ")");
        }
        return body;
      }
    });
  }

  @Override
  public InputStream openBlob(Descriptor blob, long offset) {
    return blobs.open(transport, new BlobLocation(hosts, ref.repository(), blob.digest(), blob.size()), offset,
        events);
  }

  private static byte[] readCapped(Response response, long cap, String what) throws IOException {
    long declared = response.body().contentLength();
    if (declared > cap) {
      throw new RegistryException(Failure.VERIFICATION,
          what + ": document of " + declared + " bytes is larger than the " + cap + " allowed");
    }
    try (InputStream in = response.body().byteStream()) {
      byte[] body = in.readNBytes((int) Math.min(cap + 1, Integer.MAX_VALUE - 8));
      if (body.length > cap) {
        throw new RegistryException(Failure.VERIFICATION,
            what + ": document is larger than the " + cap + " bytes allowed");
      }
      return body;
    }
  }

  static RegistryException network(String what, IOException e) {
    if (RegistryTransport.answeredPlainHttp(e)) {
      return new RegistryException(Failure.NETWORK, what + ": the registry answered plain HTTP to an HTTPS"
          + " request; if it serves only HTTP, pass --plain-http (or server = \"http://...\" in its hosts.toml)", e);
    }
    if (e instanceof javax.net.ssl.SSLException) {
      return new RegistryException(Failure.NETWORK, what + ": TLS verification failed ("
          + rootCause(e) + "); trust the registry's CA with --tlscacert or a hosts.toml \"ca\","
          + " or pass --skip-verify", e);
    }
    return new RegistryException(Failure.NETWORK, what + ": " + e.getMessage(), e);
  }

  private static String rootCause(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null) {
      c = c.getCause();
    }
    String m = c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    return m.replaceAll("^.*: ", "");
  }
}
