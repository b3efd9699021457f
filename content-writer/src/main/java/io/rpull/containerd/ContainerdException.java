package io.rpull.containerd;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** A containerd call failed; the message names the operation and containerd's own words. */
public class ContainerdException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Failure classes that callers and exit codes distinguish. */
  public enum Kind {
    UNAVAILABLE,
    NOT_FOUND,
    ALREADY_EXISTS,
    VERIFICATION,
    OTHER
  }

  private final Kind kind;

  public ContainerdException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  /** Wraps a gRPC failure of {@code operation}. */
  public static ContainerdException of(String operation, StatusRuntimeException e) {
    Status status = e.getStatus();
    Kind kind = switch (status.getCode()) {
      case UNAVAILABLE, DEADLINE_EXCEEDED -> Kind.UNAVAILABLE;
      case NOT_FOUND -> Kind.NOT_FOUND;
      case ALREADY_EXISTS -> Kind.ALREADY_EXISTS;
      default -> Kind.OTHER;
    };
    String detail = status.getDescription() == null ? status.getCode().toString() : status.getDescription();
    return new ContainerdException(kind, operation + ": " + detail, e);
  }

  static boolean is(StatusRuntimeException e, Status.Code code) {
    return e.getStatus().getCode() == code;
  }

  /** containerd reports a write ref held by another writer as UNAVAILABLE "... locked ...". */
  static boolean isRefLocked(StatusRuntimeException e) {
    String description = e.getStatus().getDescription();
    return is(e, Status.Code.UNAVAILABLE) && description != null && description.contains("locked");
  }
}
