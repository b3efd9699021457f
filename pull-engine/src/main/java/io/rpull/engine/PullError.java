package io.rpull.engine;

import io.rpull.types.Failure;
import java.util.Objects;

/**
 * Why a pull failed: its class, one line for the user, and the cause for --debug.
 *
 * @param cause what was thrown; never printed unless the user asks for debugging output
 */
public record PullError(Failure failure, String message, Throwable cause) {
  public PullError {
    Objects.requireNonNull(failure, "failure");
    Objects.requireNonNull(message, "message");
  }
}
