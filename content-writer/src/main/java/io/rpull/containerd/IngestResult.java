package io.rpull.containerd;

/**
 * What an ingest did.
 *
 * @param alreadyPresent the blob's bytes were already in containerd (committed in this namespace, shared
 *     from another, or fully ingested by an interrupted pull): nothing was fetched
 * @param bytesWritten bytes this ingest sent to containerd
 * @param resumedFrom offset an earlier, interrupted ingest had reached
 */
public record IngestResult(boolean alreadyPresent, long bytesWritten, long resumedFrom) {}
