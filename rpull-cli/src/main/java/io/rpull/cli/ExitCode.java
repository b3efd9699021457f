package io.rpull.cli;

import io.rpull.types.Failure;
import java.util.Locale;

/**
 * Exit codes, one per failure class, so that hooks and scripts can tell "retry later" from "fix the
 * reference". Any non-zero code means the image is not (completely) there, as with ctr. This is the
 * one place where failure classes become numbers.
 */
enum ExitCode {
  OK(0, "success"),
  FAILURE(1, "any other failure"),
  USAGE(2, "invalid flags, or an invalid image reference (nothing was contacted)"),
  NOT_FOUND(3, "the image, tag or platform does not exist in the registry"),
  AUTH(4, "the registry refused the credentials, or none were given"),
  NETWORK(5, "the registry could not be reached or kept failing"),
  VERIFICATION(6, "content did not match its digest or size, or a document was malformed"),
  CONTAINERD(7, "containerd or the snapshotter failed or could not be reached"),
  INTERRUPTED(130, "interrupted by SIGINT (143: by SIGTERM); a rerun resumes");

  final int code;
  final String meaning;

  ExitCode(int code, String meaning) {
    this.code = code;
    this.meaning = meaning;
  }

  static ExitCode of(Failure failure) {
    return switch (failure) {
      case OTHER -> FAILURE;
      case USAGE -> USAGE;
      case NOT_FOUND -> NOT_FOUND;
      case AUTH -> AUTH;
      case NETWORK -> NETWORK;
      case VERIFICATION -> VERIFICATION;
      case CONTAINERD -> CONTAINERD;
      case INTERRUPTED -> INTERRUPTED;
    };
  }

  /** The name JSON results give it ({@code not_found}, ...). */
  String jsonName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The table printed in --help. */
  static java.util.Map<String, String> helpList() {
    java.util.Map<String, String> lines = new java.util.LinkedHashMap<>();
    for (ExitCode c : values()) {
      lines.put(String.valueOf(c.code), c.meaning);
    }
    return lines;
  }
}
