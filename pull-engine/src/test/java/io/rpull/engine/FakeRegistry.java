package io.rpull.engine;

import io.rpull.fetch.FetchEvents;
import io.rpull.fetch.Credentials;
import io.rpull.fetch.ImageReference;
import io.rpull.fetch.ImageSource;
import io.rpull.fetch.ImageSources;
import io.rpull.fetch.RegistryException;
import io.rpull.types.Descriptor;
import io.rpull.types.Digest;
import io.rpull.types.Failure;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A registry in memory: one image per reference; it counts what is asked of it. */
final class FakeRegistry implements ImageSources {
  final Map<String, TestImage> images = new ConcurrentHashMap<>();
  final List<Digest> blobOpens = new CopyOnWriteArrayList<>();
  final List<Optional<Credentials>> credentialsSeen = new CopyOnWriteArrayList<>();
  /** A blob the registry refuses to serve (a layer that fails). */
  volatile Digest failing;
  /** How long opening a blob takes, so that concurrent pulls overlap. */
  volatile java.time.Duration openDelay = java.time.Duration.ZERO;

  @Override
  public ImageSource open(ImageReference reference, Optional<Credentials> credentials, FetchEvents counter) {
    credentialsSeen.add(credentials);
    TestImage image = images.get(reference.toString());
    return new ImageSource() {
      @Override
      public Resolved resolve() {
        if (image == null) {
          throw new RegistryException(Failure.NOT_FOUND, "resolve " + reference + ": not found");
        }
        return new Resolved(image.manifestDescriptor, image.manifest);
      }

      @Override
      public byte[] fetchDocument(Descriptor descriptor) {
        if (descriptor.digest().equals(image.configDescriptor.digest())) {
          return image.config;
        }
        throw new RegistryException(Failure.NOT_FOUND, "fetch " + descriptor.digest() + ": not found");
      }

      @Override
      public InputStream openBlob(Descriptor blob, long offset) {
        blobOpens.add(blob.digest());
        try {
          Thread.sleep(openDelay.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new RegistryException(Failure.INTERRUPTED, "interrupted", e);
        }
        if (blob.digest().equals(failing)) {
          throw new RegistryException(Failure.NETWORK, "fetch " + blob.digest() + ": 503 Service Unavailable");
        }
        byte[] content = image.layers.stream().filter(l -> l.descriptor().digest().equals(blob.digest()))
            .findFirst().orElseThrow().content();
        counter.received(blob.digest(), content.length - offset);
        return new ByteArrayInputStream(content, (int) offset, content.length - (int) offset);
      }
    };
  }
}
