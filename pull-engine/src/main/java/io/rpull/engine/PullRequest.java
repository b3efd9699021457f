package io.rpull.engine;

import io.rpull.fetch.Credentials;
import io.rpull.fetch.ImageReference;
import io.rpull.types.Platform;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One image to pull, and how.
 *
 * @param reference the parsed reference
 * @param name the image record's name (the reference as the user wrote it, as ctr records it)
 * @param namespace containerd namespace; {@code k8s.io} also gets the records CRI makes
 * @param snapshotter snapshotter to unpack into ({@code overlaybd} by default, like ctr rpull)
 * @param platform the platform to take from a multi-platform index
 * @param mode whether overlaybd layers are made local ({@link Mode#FULL}) or registered for lazy loading
 * @param imageLabels labels for the image record ({@code --label})
 * @param credentials for the reference's own registry only; empty: the node's configuration
 * @param blobsAtOnce layer blobs downloading and being written at the same time
 */
public record PullRequest(ImageReference reference, String name, String namespace, String snapshotter,
    Platform platform, Mode mode, Map<String, String> imageLabels, Optional<Credentials> credentials,
    int blobsAtOnce) {

  /** What "pulled" means for overlaybd layers. */
  public enum Mode {
    /** As {@code ctr rpull}: overlaybd layers are registered and read from the registry on demand. */
    LAZY,
    /** As {@code ctr rpull --download-blobs}: every layer is local and verified when the pull succeeds. */
    FULL
  }

  public PullRequest {
    Objects.requireNonNull(reference, "reference");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(snapshotter, "snapshotter");
    Objects.requireNonNull(platform, "platform");
    Objects.requireNonNull(mode, "mode");
    imageLabels = Map.copyOf(imageLabels);
    Objects.requireNonNull(credentials, "credentials");
    if (blobsAtOnce < 1) {
      throw new IllegalArgumentException("blobsAtOnce must be at least 1");
    }
  }

  public boolean downloadBlobs() {
    return mode == Mode.FULL;
  }
}
