package io.rpull.fetch;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Resolves references and fetches the small documents of an image (index, manifest, config), each
 * verified against its digest before it is parsed.
 */
public final class RegistryClient {
  /** containerd's limit for manifests and indexes (4 * 1048 * 1048). */
  public static final long MAX_MANIFEST_BYTES = 4L * 1048 * 1048;
  /** Configs are JSON too; a config larger than this is hostile, not an image. */
  public static final long MAX_CONFIG_BYTES = 16L * 1024 * 1024;

  private final RegistryTransport transport;
  private final List<RegistryHost> hosts;

  /** @param hosts where the registry's content can be had, mirrors first, as {@link HostsDirectory} lists them */
  public RegistryClient(RegistryTransport transport, List<RegistryHost> hosts) {
    this.transport = Objects.requireNonNull(transport, "transport");
    this.hosts = List.copyOf(hosts);
  }

  public List<RegistryHost> hosts() {
    return hosts;
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
    RegistryException last = null;
    RegistryException answer = null;
    for (RegistryHost host : hosts) {
      if (!host.can(capability)) {
        continue;
      }
      try {
        return call.call(host);
      } catch (IOException e) {
        last = network(what + " from " + host.authority(), e);
      } catch (RegistryException e) {
        if (e.kind() == RegistryException.Kind.VERIFICATION || e.kind() == RegistryException.Kind.INVALID_INPUT
            || e.kind() == RegistryException.Kind.UNSUPPORTED) {
          throw e;
        }
        last = e;
      }
      // A host that answered (not found, unauthorized) says more than one that could not be reached.
      if (answer == null && last.kind() != RegistryException.Kind.NETWORK) {
        answer = last;
      }
    }
    if (answer != null && last.kind() == RegistryException.Kind.NETWORK) {
      throw answer;
    }
    if (last == null) {
      throw new RegistryException(RegistryException.Kind.INVALID_INPUT,
          what + ": no configured host has the " + capability.name().toLowerCase(java.util.Locale.ROOT) + " capability");
    }
    throw last;
  }

  /** A document fetched by reference, with its verified descriptor. */
  public record Resolved(Descriptor descriptor, byte[] content) {}

  /**
   * Resolves {@code ref} to its top-level descriptor. The digest is computed from the bytes; a
   * reference with a digest, or a Docker-Content-Digest header, must agree with it.
   */
  public Resolved resolve(ImageReference ref, DocumentParser parser) {
    String what = "resolve " + ref;
    return firstAnswer(RegistryHost.Capability.RESOLVE, what, host -> {
      Request request = new Request.Builder()
          .url(host.url(ref.repository(), "manifests", ref.object()))
          .header("Accept", MediaTypes.MANIFEST_ACCEPT)
          .build();
      try (Response response = transport.execute(host, request)) {
        if (!response.isSuccessful()) {
          throw HttpErrors.of(response, what);
        }
        byte[] body = readCapped(response, MAX_MANIFEST_BYTES, what);
        Digest digest = Digest.sha256Of(body);
        ref.digest().filter(d -> !d.equals(digest)).ifPresent(d -> {
          throw new RegistryException(RegistryException.Kind.VERIFICATION,
              what + ": digest mismatch: " + host.authority() + " sent " + digest);
        });
        Optional.ofNullable(response.header("Docker-Content-Digest"))
            .filter(h -> !h.equals(digest.toString()))
            .ifPresent(h -> {
              throw new RegistryException(RegistryException.Kind.VERIFICATION,
                  what + ": Docker-Content-Digest " + HttpErrors.sanitize(h) + " does not match the content " + digest);
            });
        String mediaType = parser.mediaTypeOf(body, response.header("Content-Type"), digest);
        return new Resolved(Descriptor.of(mediaType, digest, body.length), body);
      }
    });
  }

  /** Fetches a manifest, index or config named by {@code descriptor} and verifies size and digest. */
  public byte[] fetchDocument(String repository, Descriptor descriptor) {
    boolean config = MediaTypes.isConfig(descriptor.mediaType())
        || !(MediaTypes.isManifest(descriptor.mediaType()) || MediaTypes.isIndex(descriptor.mediaType()));
    long cap = config ? MAX_CONFIG_BYTES : MAX_MANIFEST_BYTES;
    String what = "fetch " + descriptor.digest();
    if (descriptor.size() > cap) {
      throw new RegistryException(RegistryException.Kind.VERIFICATION,
          what + ": " + descriptor.size() + " bytes is more than the " + cap + " allowed for " + descriptor.mediaType());
    }
    return firstAnswer(RegistryHost.Capability.PULL, what, host -> {
      Request request = new Request.Builder()
          .url(host.url(repository, config ? "blobs" : "manifests", descriptor.digest().toString()))
          .header("Accept", config ? "*/*" : descriptor.mediaType())
          .build();
      try (Response response = transport.execute(host, request)) {
        if (!response.isSuccessful()) {
          throw HttpErrors.of(response, what);
        }
        byte[] body = readCapped(response, descriptor.size(), what);
        if (body.length != descriptor.size() || !Digest.sha256Of(body).equals(descriptor.digest())) {
          throw new RegistryException(RegistryException.Kind.VERIFICATION,
              what + ": content from " + host.authority() + " does not match its descriptor (got " + body.length
                  + " bytes, digest " + Digest.sha256Of(body) + ")");
        }
        return body;
      }
    });
  }

  private static byte[] readCapped(Response response, long cap, String what) throws IOException {
    long declared = response.body().contentLength();
    if (declared > cap) {
      throw new RegistryException(RegistryException.Kind.VERIFICATION,
          what + ": document of " + declared + " bytes is larger than the " + cap + " allowed");
    }
    try (InputStream in = response.body().byteStream()) {
      byte[] body = in.readNBytes((int) Math.min(cap + 1, Integer.MAX_VALUE - 8));
      if (body.length > cap) {
        throw new RegistryException(RegistryException.Kind.VERIFICATION,
            what + ": document is larger than the " + cap + " bytes allowed");
      }
      return body;
    }
  }

  static RegistryException network(String what, IOException e) {
    if (e instanceof javax.net.ssl.SSLException) {
      return new RegistryException(RegistryException.Kind.NETWORK, what + ": TLS verification failed ("
          + rootCause(e) + "); trust the registry's CA with --tlscacert or a hosts.toml \"ca\","
          + " or pass --skip-verify", e);
    }
    return new RegistryException(RegistryException.Kind.NETWORK, what + ": " + e.getMessage(), e);
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
