package io.rpull.types;

/**
 * The classes of failure a pull can end in: the one vocabulary that exit codes, CRI statuses and
 * JSON results are derived from, as containerd's errdefs are for its own code. Declared from the
 * least to the most severe, so that a batch reports its worst.
 */
public enum Failure {
  /** Anything not classified below; a bug or an unsupported image. */
  OTHER,
  /** A flag value or an image reference that can never work. */
  USAGE,
  /** The image, tag or platform does not exist. */
  NOT_FOUND,
  /** The registry refused the credentials, or wanted some. */
  AUTH,
  /** The registry could not be reached or kept failing. */
  NETWORK,
  /** Content did not match its digest or size, or a document was malformed. */
  VERIFICATION,
  /** containerd or the snapshotter failed or could not be reached. */
  CONTAINERD,
  /** The pull was stopped (signal, deadline, shutdown) before it finished. */
  INTERRUPTED;

  /** The more severe of the two. */
  public Failure worse(Failure other) {
    return other.ordinal() > ordinal() ? other : this;
  }
}
