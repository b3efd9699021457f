package io.rpull.types;

/**
 * A failure that knows its class. Its message is one line a user can act on; causes are kept
 * for --debug, never printed otherwise.
 */
public class RpullException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final Failure failure;

  public RpullException(Failure failure, String message) {
    this(failure, message, null);
  }

  public RpullException(Failure failure, String message, Throwable cause) {
    super(message, cause);
    this.failure = java.util.Objects.requireNonNull(failure, "failure");
  }

  public Failure failure() {
    return failure;
  }
}
