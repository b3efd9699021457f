package io.rpull.fetch;

import io.rpull.types.Failure;
import io.rpull.types.RpullException;

/** A registry interaction failed; {@link #failure()} says which class of failure. */
public class RegistryException extends RpullException {
  private static final long serialVersionUID = 1L;

  public RegistryException(Failure failure, String message) {
    super(failure, message);
  }

  public RegistryException(Failure failure, String message, Throwable cause) {
    super(failure, message, cause);
  }
}
