package io.rpull.containerd;

import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.rpull.containerd.api.content.ContentGrpc;
import io.rpull.containerd.api.diff.DiffGrpc;
import io.rpull.containerd.api.images.ImagesGrpc;
import io.rpull.containerd.api.introspection.IntrospectionGrpc;
import io.rpull.containerd.api.leases.LeasesGrpc;
import io.rpull.containerd.api.snapshots.SnapshotsGrpc;
import java.util.Objects;
import java.util.Optional;

/**
 * The stubs of one namespace and, optionally, one lease: every call carries the
 * {@code containerd-namespace} header, and {@code containerd-lease} once a lease is set, so that
 * everything the pull creates is protected from garbage collection until the image record exists.
 */
public final class ContainerdSession {
  static final Metadata.Key<String> NAMESPACE = Metadata.Key.of("containerd-namespace", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> LEASE = Metadata.Key.of("containerd-lease", Metadata.ASCII_STRING_MARSHALLER);

  private final Channel channel;
  private final String namespace;
  private final String leaseId;
  private final Channel scoped;

  ContainerdSession(Channel channel, String namespace, String leaseId) {
    this.channel = channel;
    this.namespace = Objects.requireNonNull(namespace, "namespace");
    this.leaseId = leaseId;
    Metadata headers = new Metadata();
    headers.put(NAMESPACE, namespace);
    if (leaseId != null) {
      headers.put(LEASE, leaseId);
    }
    this.scoped = io.grpc.ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  public String namespace() {
    return namespace;
  }

  public Optional<String> leaseId() {
    return Optional.ofNullable(leaseId);
  }

  public ContainerdSession withLease(String id) {
    return new ContainerdSession(channel, namespace, id);
  }

  public ContentGrpc.ContentBlockingStub content() {
    return ContentGrpc.newBlockingStub(scoped);
  }

  ContentGrpc.ContentStub contentAsync() {
    return ContentGrpc.newStub(scoped);
  }

  public LeasesGrpc.LeasesBlockingStub leases() {
    return LeasesGrpc.newBlockingStub(scoped);
  }

  public ImagesGrpc.ImagesBlockingStub images() {
    return ImagesGrpc.newBlockingStub(scoped);
  }

  public SnapshotsGrpc.SnapshotsBlockingStub snapshots() {
    return SnapshotsGrpc.newBlockingStub(scoped);
  }

  public DiffGrpc.DiffBlockingStub diff() {
    return DiffGrpc.newBlockingStub(scoped);
  }

  public IntrospectionGrpc.IntrospectionBlockingStub introspection() {
    return IntrospectionGrpc.newBlockingStub(scoped);
  }
}
