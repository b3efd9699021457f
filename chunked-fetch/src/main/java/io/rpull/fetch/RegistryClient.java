package io.rpull.fetch;

import java.io.IOException;
import java.io.InputStream;
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
  private final RegistryEndpoint endpoint;

  public RegistryClient(RegistryTransport transport, RegistryEndpoint endpoint) {
    this.transport = Objects.requireNonNull(transport, "transport");
    this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
  }

  public RegistryEndpoint endpoint() {
    return endpoint;
  }

  /** A document fetched by reference, with its verified descriptor. */
  public record Resolved(Descriptor descriptor, byte[] content) {}

  /**
   * Resolves {@code ref} to its top-level descriptor. The digest is computed from the bytes; a
   * reference with a digest, or a Docker-Content-Digest header, must agree with it.
   */
  public Resolved resolve(ImageReference ref, DocumentParser parser) {
    String what = "resolve " + ref;
    Request request = new Request.Builder()
        .url(endpoint.url(ref.repository(), "manifests", ref.object()))
        .header("Accept", MediaTypes.MANIFEST_ACCEPT)
        .build();
    try (Response response = transport.execute(request)) {
      if (!response.isSuccessful()) {
        throw HttpErrors.of(response, what);
      }
      byte[] body = readCapped(response, MAX_MANIFEST_BYTES, what);
      Digest digest = Digest.sha256Of(body);
      ref.digest().filter(d -> !d.equals(digest)).ifPresent(d -> {
        throw new RegistryException(RegistryException.Kind.VERIFICATION,
            what + ": digest mismatch: the registry sent " + digest);
      });
      Optional.ofNullable(response.header("Docker-Content-Digest"))
          .filter(h -> !h.equals(digest.toString()))
          .ifPresent(h -> {
            throw new RegistryException(RegistryException.Kind.VERIFICATION,
                what + ": Docker-Content-Digest " + HttpErrors.sanitize(h) + " does not match the content " + digest);
          });
      String mediaType = parser.mediaTypeOf(body, response.header("Content-Type"), digest);
      return new Resolved(Descriptor.of(mediaType, digest, body.length), body);
    } catch (IOException e) {
      throw network(what, e);
    }
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
    Request request = new Request.Builder()
        .url(endpoint.url(repository, config ? "blobs" : "manifests", descriptor.digest().toString()))
        .header("Accept", config ? "*/*" : descriptor.mediaType())
        .build();
    try (Response response = transport.execute(request)) {
      if (!response.isSuccessful()) {
        throw HttpErrors.of(response, what);
      }
      byte[] body = readCapped(response, descriptor.size(), what);
      if (body.length != descriptor.size() || !Digest.sha256Of(body).equals(descriptor.digest())) {
        throw new RegistryException(RegistryException.Kind.VERIFICATION,
            what + ": content does not match its descriptor (got " + body.length + " bytes, digest "
                + Digest.sha256Of(body) + ")");
      }
      return body;
    } catch (IOException e) {
      throw network(what, e);
    }
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
    return new RegistryException(RegistryException.Kind.NETWORK, what + ": " + e.getMessage(), e);
  }
}
