package io.rpull.snapshot;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** The snapshot labels containerd's unpacker and {@code ctr rpull} give each layer's Prepare and Commit. */
public final class OverlaybdLabels {
  public static final String PREFIX = "containerd.io/snapshot/";
  public static final String SNAPSHOT_REF = "containerd.io/snapshot.ref";
  public static final String DIFF_ID = PREFIX + "diff-id";
  public static final String PARENT_CHAIN_ID = PREFIX + "parent-chain-id";
  public static final String IMAGE_REF = PREFIX + "image-ref";
  public static final String BLOB_DIGEST = PREFIX + "overlaybd/blob-digest";
  public static final String BLOB_SIZE = PREFIX + "overlaybd/blob-size";
  public static final String DOWNLOAD = PREFIX + "overlaybd/download-remote-blob";
  public static final String DOWNLOAD_VALUE = "download";
  /**
   * The overlaybd snapshotter's mark on a layer it registered for lazy loading; containerd copies
   * the backend's labels into its own record of such a snapshot, so Stat shows it.
   */
  public static final String REMOTE = PREFIX + "remote";
  public static final String TURBO_OCI_TARGET_DIGEST = PREFIX + "overlaybd/turbo-oci/target-digest";
  public static final String FASTOCI_TARGET_DIGEST = PREFIX + "overlaybd/fastoci/target-digest";
  /** containerd rejects a label whose key and value together exceed this. */
  static final int MAX_LABEL_BYTES = 4096;

  private OverlaybdLabels() {}

  /**
   * Labels for layer {@code index}: the layer's own {@code containerd.io/snapshot/*} annotations
   * (what containerd forwards to a snapshotter; nothing else from the image ever becomes a label),
   * the chain identity, the image ref, and the download label when blobs are to be local.
   */
  public static Map<String, String> forLayer(Layer layer, String chainId, String parentChainId, String imageRef,
      boolean downloadBlobs) {
    Map<String, String> labels = new LinkedHashMap<>();
    layer.blob().annotations().forEach((k, v) -> {
      if (k.startsWith(PREFIX) && fits(k, v)) {
        labels.put(k, v);
      }
    });
    labels.put(SNAPSHOT_REF, chainId);
    labels.put(DIFF_ID, layer.diffId().toString());
    if (!parentChainId.isEmpty()) {
      labels.put(PARENT_CHAIN_ID, parentChainId);
    }
    if (fits(IMAGE_REF, imageRef)) {
      labels.put(IMAGE_REF, imageRef);
    }
    if (downloadBlobs) {
      labels.put(DOWNLOAD, DOWNLOAD_VALUE);
    }
    return labels;
  }

  private static boolean fits(String key, String value) {
    return key.getBytes(StandardCharsets.UTF_8).length + value.getBytes(StandardCharsets.UTF_8).length
        <= MAX_LABEL_BYTES;
  }
}
