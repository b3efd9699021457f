package io.rpull.cli;

import io.rpull.containerd.ContainerdException;
import io.rpull.fetch.RegistryException;

/**
 * Exit codes, one per failure class, so that hooks and scripts can tell "retry later" from "fix the
 * reference". Any non-zero code means the image is not (completely) there, as with ctr.
 */
enum ExitCode {
  OK(0, "success"),
  FAILURE(1, "any other failure"),
  USAGE(2, "invalid flags, or an invalid image reference"),
  NOT_FOUND(3, "the image, tag or platform does not exist in the registry"),
  AUTH(4, "the registry refused the credentials, or none were given"),
  NETWORK(5, "the registry could not be reached or kept failing"),
  VERIFICATION(6, "content did not match its digest or size, or a document was malformed"),
  CONTAINERD(7, "containerd or the snapshotter failed or could not be reached");

  final int code;
  final String meaning;

  ExitCode(int code, String meaning) {
    this.code = code;
    this.meaning = meaning;
  }

  static ExitCode of(Throwable t) {
    if (t instanceof RegistryException r) {
      return switch (r.kind()) {
        case INVALID_INPUT -> USAGE;
        case NOT_FOUND -> NOT_FOUND;
        case AUTH -> AUTH;
        case NETWORK -> NETWORK;
        case VERIFICATION -> VERIFICATION;
        case UNSUPPORTED -> FAILURE;
      };
    }
    if (t instanceof ContainerdException c) {
      return c.kind() == ContainerdException.Kind.VERIFICATION ? VERIFICATION : CONTAINERD;
    }
    if (t instanceof java.io.IOException) {
      return NETWORK;
    }
    return FAILURE;
  }

  /** The table printed in --help. */
  static String table() {
    StringBuilder b = new StringBuilder();
    for (ExitCode c : values()) {
      b.append(String.format("  %d  %s%n", c.code, c.meaning));
    }
    return b.toString();
  }
}
