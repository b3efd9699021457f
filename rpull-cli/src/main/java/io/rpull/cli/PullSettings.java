package io.rpull.cli;

import io.rpull.fetch.Platform;
import java.util.Map;

/**
 * What one pull should do, beyond which image.
 *
 * @param snapshotter snapshotter to unpack into ({@code overlaybd} by default, like ctr rpull)
 * @param downloadBlobs make every layer local and verified instead of lazily loaded
 * @param platform the platform to take from a multi-platform index
 * @param imageLabels labels for the image record ({@code --label})
 * @param blobsAtOnce layer blobs downloading and being written at the same time
 * @param messageBytes bytes per Content.Write message
 */
record PullSettings(String snapshotter, boolean downloadBlobs, Platform platform, Map<String, String> imageLabels,
    int blobsAtOnce, int messageBytes) {
  PullSettings {
    imageLabels = Map.copyOf(imageLabels);
  }
}
