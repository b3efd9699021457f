package io.rpull.snapshot.grpc;

import io.rpull.containerd.ContentStore;
import io.rpull.containerd.ImageStore;
import io.rpull.containerd.Leases;
import io.rpull.containerd.grpc.ContainerdConnection;
import io.rpull.containerd.grpc.GrpcContentStore;
import io.rpull.containerd.grpc.GrpcImageStore;
import io.rpull.containerd.grpc.GrpcLeases;
import io.rpull.containerd.grpc.GrpcSession;
import io.rpull.snapshot.Applier;
import io.rpull.snapshot.ContainerdNamespace;
import io.rpull.snapshot.Snapshotter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * The node's containerd over its socket, handing out {@link ContainerdNamespace}s: the only place
 * where the domain interfaces are wired to their gRPC adapters.
 */
public final class ContainerdNode implements AutoCloseable {
  private final ContainerdConnection connection;
  private final int messageBytes;
  private final Clock clock;

  private ContainerdNode(ContainerdConnection connection, int messageBytes, Clock clock) {
    this.connection = connection;
    this.messageBytes = messageBytes;
    this.clock = clock;
  }

  /**
   * Connects and asks the daemon for its version, so that a wrong socket fails here, clearly.
   *
   * @param messageBytes bytes per Content.Write message
   */
  public static ContainerdNode connect(Path socket, Duration connectTimeout, int messageBytes, Clock clock) {
    return new ContainerdNode(ContainerdConnection.connect(socket, connectTimeout), messageBytes, clock);
  }

  /** Fails at once with ctr's reason when containerd cannot be reached at {@code socket}. */
  public static void checkReachable(Path socket) {
    ContainerdConnection.checkReachable(socket);
  }

  public String serverVersion() {
    return connection.serverVersion();
  }

  public ContainerdNamespace namespace(String name) {
    return new Namespace(connection.session(name));
  }

  @Override
  public void close() {
    connection.close();
  }

  private final class Namespace implements ContainerdNamespace {
    private final GrpcSession session;
    private final ContentStore content;

    Namespace(GrpcSession session) {
      this.session = session;
      this.content = new GrpcContentStore(session, messageBytes);
    }

    @Override
    public String name() {
      return session.namespace();
    }

    @Override
    public ContentStore content() {
      return content;
    }

    @Override
    public ImageStore images() {
      return new GrpcImageStore(session);
    }

    @Override
    public Leases leases() {
      return new GrpcLeases(session, clock);
    }

    @Override
    public Snapshotter snapshotter(String name) {
      return new GrpcSnapshotter(session, name);
    }

    @Override
    public Applier applier() {
      return new GrpcApplier(session);
    }

    @Override
    public ContainerdNamespace withLease(String leaseId) {
      return new Namespace(session.withLease(leaseId));
    }

    @Override
    public Optional<String> leaseId() {
      return session.leaseId();
    }
  }
}
