package io.rpull.containerd;

import io.rpull.types.Failure;
import io.rpull.types.RpullException;

/**
 * A containerd call failed; the message names the operation and containerd's own words. {@link
 * #code()} is containerd's error kind (its errdefs), which callers branch on; {@link #failure()} is
 * the class a user sees.
 */
public class ContainerdException extends RpullException {
  private static final long serialVersionUID = 1L;

  /** containerd's error kinds that callers act on. */
  public enum Code {
    NOT_FOUND,
    ALREADY_EXISTS,
    UNAVAILABLE,
    FAILED_PRECONDITION,
    OTHER
  }

  private final Code code;

  public ContainerdException(Code code, String message, Throwable cause) {
    this(code, Failure.CONTAINERD, message, cause);
  }

  private ContainerdException(Code code, Failure failure, String message, Throwable cause) {
    super(failure, message, cause);
    this.code = code;
  }

  /** Content or a layer that does not match what the image says it is. */
  public static ContainerdException verification(String message, Throwable cause) {
    return new ContainerdException(Code.FAILED_PRECONDITION, Failure.VERIFICATION, message, cause);
  }

  public Code code() {
    return code;
  }

  public boolean is(Code wanted) {
    return code == wanted;
  }
}
