package io.rpull.cli;

/**
 * The outcome of a successful pull.
 *
 * @param image the image record's name
 * @param digest the digest the record points at (index or manifest)
 * @param bytesWritten blob bytes written into containerd by this pull
 * @param bytesPresent blob bytes that were already in containerd
 * @param layersPlaced overlaybd layers made local without untar
 * @param layersApplied layers unpacked with Diff.Apply
 * @param layersExisting layers whose snapshot already existed or is served remotely
 */
record PullResult(String image, String digest, long bytesWritten, long bytesPresent, int layersPlaced,
    int layersApplied, int layersExisting) {}
