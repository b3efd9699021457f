package io.rpull.fetch;

/** A reference that cannot be valid; raised before any network I/O. */
public final class InvalidReferenceException extends RegistryException {
  private static final long serialVersionUID = 1L;

  public InvalidReferenceException(String reference, String reason) {
    super(io.rpull.types.Failure.USAGE, "parse \"" + reference + "\": " + reason);
  }
}
