package io.rpull.agent;

import io.rpull.engine.PullEngine;
import io.rpull.engine.PullError;
import io.rpull.engine.PullListener;
import io.rpull.engine.PullRequest;
import io.rpull.engine.PullResult;
import io.rpull.fetch.ImageReference;
import io.rpull.fetch.InvalidReferenceException;
import io.rpull.types.Failure;
import io.rpull.types.Platform;
import java.util.Map;

/**
 * kubelet's PullImage: a full pull (every overlaybd layer downloaded and placed, never lazy) into
 * the CRI namespace, with the records CRI makes, answered with the image ID CRI answers.
 */
public final class CriPuller {
  /** A pull that did not complete; its message is containerd's CRI wording plus rpull's reason. */
  public static final class Failed extends Exception {
    private final Failure failure;

    Failed(Failure failure, String message) {
      super(message, null, false, false);
      this.failure = failure;
    }

    public Failure failure() {
      return failure;
    }
  }

  private final PullEngine engine;
  private final AgentConfig config;

  CriPuller(PullEngine engine, AgentConfig config) {
    this.engine = engine;
    this.config = config;
  }

  /**
   * @param image as kubelet sends it ({@code nginx}, {@code registry:5000/app:v1}, {@code repo@sha256:...})
   * @return the image ID, {@code sha256:<config digest>}
   */
  public String pull(String image, CriAuth auth) throws Failed {
    String name = CriReferences.normalize(image);
    ImageReference reference;
    PullRequest request;
    try {
      reference = ImageReference.parse(name);
      request = new PullRequest(reference, name, config.namespace(), config.snapshotter(), Platform.host(),
          PullRequest.Mode.FULL, Map.of(), auth.credentialsFor(reference.registry()), config.blobsAtOnce());
    } catch (InvalidReferenceException | IllegalArgumentException e) {
      throw new Failed(Failure.USAGE, "failed to pull and unpack image \"" + image + "\": " + e.getMessage());
    }
    PullResult result = engine.pull(request, PullListener.NONE);
    if (result.error().isPresent()) {
      PullError error = result.error().get();
      throw new Failed(error.failure(), "failed to pull and unpack image \"" + name + "\": " + error.message());
    }
    return result.config().orElseThrow().toString();
  }
}
