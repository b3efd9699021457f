package io.rpull.containerd;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A blob as containerd's content store knows it: digest and size, plus the kind that names its
 * ingest ref the way the Go client does ({@code layer-<digest>}, {@code manifest-<digest>}, ...),
 * so that a concurrent ctr or CRI pull of the same blob waits on the same ref lock instead of
 * downloading it twice.
 */
public record BlobRef(String kind, String digest, long size) {
  private static final Pattern DIGEST = Pattern.compile("sha256:[a-f0-9]{64}");

  public BlobRef {
    Objects.requireNonNull(kind, "kind");
    if (!DIGEST.matcher(digest).matches()) {
      throw new IllegalArgumentException("not a sha256 digest: " + digest);
    }
    if (size < 0) {
      throw new IllegalArgumentException("negative size for " + digest);
    }
  }

  public String ingestRef() {
    return kind + "-" + digest;
  }

  public String hex() {
    return digest.substring("sha256:".length());
  }
}
