package io.rpull.containerd.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.rpull.containerd.ContainerdException;

/** gRPC statuses as containerd's error kinds, with the operation named. */
public final class GrpcErrors {
  private GrpcErrors() {}

  public static ContainerdException of(String operation, StatusRuntimeException e) {
    Status status = e.getStatus();
    ContainerdException.Code code = switch (status.getCode()) {
      case UNAVAILABLE, DEADLINE_EXCEEDED -> ContainerdException.Code.UNAVAILABLE;
      case NOT_FOUND -> ContainerdException.Code.NOT_FOUND;
      case ALREADY_EXISTS -> ContainerdException.Code.ALREADY_EXISTS;
      case FAILED_PRECONDITION -> ContainerdException.Code.FAILED_PRECONDITION;
      default -> ContainerdException.Code.OTHER;
    };
    String detail = status.getDescription() == null ? status.getCode().toString() : status.getDescription();
    return new ContainerdException(code, operation + ": " + detail, e);
  }

  public static boolean is(StatusRuntimeException e, Status.Code code) {
    return e.getStatus().getCode() == code;
  }

  /** containerd reports a write ref held by another writer as UNAVAILABLE "... locked ...". */
  static boolean isRefLocked(StatusRuntimeException e) {
    String description = e.getStatus().getDescription();
    return is(e, Status.Code.UNAVAILABLE) && description != null && description.contains("locked");
  }
}
