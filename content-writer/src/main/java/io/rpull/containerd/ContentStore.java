package io.rpull.containerd;

import io.rpull.types.Descriptor;
import io.rpull.types.Digest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** containerd's content store, as a pull uses it. Content is shared by all namespaces; labels are not. */
public interface ContentStore {
  /** The blob's info in this namespace, or empty if it is not there. */
  Optional<ContentInfo> info(Digest digest);

  /**
   * A whole committed blob of at most {@code maxBytes}, or empty if it is not in this namespace or
   * larger. Reads are not re-hashed by containerd: the caller verifies.
   */
  Optional<byte[]> read(Digest digest, long maxBytes);

  /**
   * Makes {@code blob} present in this namespace: nothing is written if containerd has it, a partial
   * ingest resumes where it stopped, and containerd verifies size and digest at commit. A ref locked
   * by another writer is waited for; content that does not verify is fetched once more, then refused.
   */
  IngestResult ingest(BlobKind kind, Descriptor blob, BlobSource source) throws IOException;

  /** Sets these labels on a committed blob, leaving its other labels as they are. */
  void setLabels(Digest digest, Map<String, String> labels);

  /** Where the local content store keeps a committed blob's file (for placing it without a copy). */
  Path blobFile(Digest digest);
}
