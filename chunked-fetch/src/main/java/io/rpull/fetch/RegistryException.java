package io.rpull.fetch;

/** A registry interaction failed; {@link #kind()} says which class of failure, for exit codes. */
public class RegistryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Failure classes a caller can act on differently. */
  public enum Kind {
    INVALID_INPUT,
    NOT_FOUND,
    AUTH,
    NETWORK,
    VERIFICATION,
    UNSUPPORTED
  }

  private final Kind kind;

  public RegistryException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public RegistryException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
