package io.rpull.containerd.grpc;

import io.grpc.StatusRuntimeException;
import io.rpull.containerd.Leases;
import io.rpull.containerd.api.leases.AddResourceRequest;
import io.rpull.containerd.api.leases.CreateRequest;
import io.rpull.containerd.api.leases.DeleteRequest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Base64;

/** Pull leases as the Go client makes them: a random id and a {@code containerd.io/gc.expire} label. */
public final class GrpcLeases implements Leases {
  private final GrpcSession session;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  public GrpcLeases(GrpcSession session, Clock clock) {
    this.session = session;
    this.clock = clock;
  }

  @Override
  public String create(Duration expiry, java.util.Map<String, String> labels) {
    byte[] nonce = new byte[3];
    random.nextBytes(nonce);
    String id = "rpull-" + System.nanoTime() + "-" + Base64.getUrlEncoder().withoutPadding().encodeToString(nonce);
    String expires = DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(
        clock.instant().plus(expiry).truncatedTo(ChronoUnit.SECONDS).atOffset(java.time.ZoneOffset.UTC));
    try {
      return session.leases()
          .create(CreateRequest.newBuilder().setId(id).putAllLabels(labels).putLabels(EXPIRE_LABEL, expires).build())
          .getLease().getId();
    } catch (StatusRuntimeException e) {
      throw GrpcErrors.of("create lease", e);
    }
  }

  @Override
  public void delete(String id) {
    try {
      session.leases().delete(DeleteRequest.newBuilder().setId(id).build());
    } catch (StatusRuntimeException e) {
      throw GrpcErrors.of("delete lease " + id, e);
    }
  }

  @Override
  public void addResource(String leaseId, String type, String resourceId) {
    try {
      session.leases().addResource(AddResourceRequest.newBuilder()
          .setId(leaseId)
          .setResource(io.rpull.containerd.api.leases.Resource.newBuilder().setType(type).setId(resourceId))
          .build());
    } catch (StatusRuntimeException e) {
      throw GrpcErrors.of("add " + type + " " + resourceId + " to lease " + leaseId, e);
    }
  }

  @Override
  public java.util.List<Lease> withLabel(String key, String value) {
    // containerd's filter syntax: labels."<key>"==<value>, the value quoted for anything but [\w.-].
    String filter = "labels.\"" + key.replace("\"", "\\\"") + "\"==\"" + value.replace("\\", "\\\\")
        .replace("\"", "\\\"") + "\"";
    try {
      return session.leases().list(io.rpull.containerd.api.leases.ListRequest.newBuilder().addFilters(filter).build())
          .getLeasesList().stream()
          .filter(l -> value.equals(l.getLabelsMap().get(key)))
          .map(l -> new Lease(l.getId(), l.getLabelsMap()))
          .toList();
    } catch (StatusRuntimeException e) {
      throw GrpcErrors.of("list leases", e);
    }
  }

  @Override
  public java.util.List<Resource> resources(String id) {
    try {
      return session.leases().listResources(io.rpull.containerd.api.leases.ListResourcesRequest.newBuilder().setId(id)
          .build()).getResourcesList().stream().map(r -> new Resource(r.getType(), r.getId())).toList();
    } catch (StatusRuntimeException e) {
      throw GrpcErrors.of("list the resources of lease " + id, e);
    }
  }
}
