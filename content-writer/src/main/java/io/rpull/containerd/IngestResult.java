package io.rpull.containerd;

/**
 * What an ingest did.
 *
 * @param alreadyPresent the blob was committed before this ingest (by anyone, any namespace)
 * @param bytesWritten bytes this ingest sent to containerd
 * @param resumedFrom offset an earlier, interrupted ingest had reached
 */
public record IngestResult(boolean alreadyPresent, long bytesWritten, long resumedFrom) {}
