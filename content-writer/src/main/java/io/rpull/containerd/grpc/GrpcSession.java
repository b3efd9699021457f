package io.rpull.containerd.grpc;

import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.rpull.containerd.api.content.ContentGrpc;
import io.rpull.containerd.api.images.ImagesGrpc;
import io.rpull.containerd.api.introspection.IntrospectionGrpc;
import io.rpull.containerd.api.leases.LeasesGrpc;
import java.util.Objects;
import java.util.Optional;

/**
 * The channel of one namespace and, optionally, one lease: every call carries the
 * {@code containerd-namespace} header, and {@code containerd-lease} once a lease is set, so that
 * everything the pull creates is protected from garbage collection until the image record exists.
 * Only the gRPC adapters (this package, and the snapshot bridge's) use it.
 */
public final class GrpcSession {
  static final Metadata.Key<String> NAMESPACE = Metadata.Key.of("containerd-namespace", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> LEASE = Metadata.Key.of("containerd-lease", Metadata.ASCII_STRING_MARSHALLER);

  private final Channel channel;
  private final String namespace;
  private final String leaseId;
  private final Channel scoped;

  GrpcSession(Channel channel, String namespace, String leaseId) {
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

  public GrpcSession withLease(String id) {
    return new GrpcSession(channel, namespace, id);
  }

  /** The namespaced (and leased) channel, for the stubs of other services. */
  public Channel channel() {
    return scoped;
  }

  ContentGrpc.ContentBlockingStub content() {
    return ContentGrpc.newBlockingStub(scoped);
  }

  ContentGrpc.ContentStub contentAsync() {
    return ContentGrpc.newStub(scoped);
  }

  LeasesGrpc.LeasesBlockingStub leases() {
    return LeasesGrpc.newBlockingStub(scoped);
  }

  ImagesGrpc.ImagesBlockingStub images() {
    return ImagesGrpc.newBlockingStub(scoped);
  }

  IntrospectionGrpc.IntrospectionBlockingStub introspection() {
    return IntrospectionGrpc.newBlockingStub(scoped);
  }
}
