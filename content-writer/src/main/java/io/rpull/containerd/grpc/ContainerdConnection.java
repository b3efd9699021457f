package io.rpull.containerd.grpc;

import com.google.protobuf.Empty;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.WriteBufferWaterMark;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.rpull.containerd.ContainerdException;
import io.rpull.containerd.api.version.VersionGrpc;
import io.rpull.containerd.api.version.VersionResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One gRPC connection to containerd over its unix socket (h2c, epoll). Everything that talks to
 * containerd goes through a {@link ContainerdSession} made from it.
 */
public final class ContainerdConnection implements AutoCloseable {
  /** containerd accepts 16 MiB messages; replies such as image lists can be large too. */
  static final int MAX_INBOUND_MESSAGE = 64 << 20;
  /**
   * Netty's HTTP/2 flow controller writes at most what the channel takes before it turns
   * unwritable, then waits for it to drain: with Netty's 64 KiB default a 4 MiB Content.Write
   * message left in some 64 writev() calls, each after a writability event. With 4 MiB it goes in
   * as few writes as the socket buffer allows.
   */
  static final WriteBufferWaterMark WRITE_BUFFER = new WriteBufferWaterMark(1 << 20, 4 << 20);

  private final EventLoopGroup group;
  private final ManagedChannel channel;
  private final String serverVersion;

  private ContainerdConnection(EventLoopGroup group, ManagedChannel channel, String serverVersion) {
    this.group = group;
    this.channel = channel;
    this.serverVersion = serverVersion;
  }

  /** Connects and asks the daemon for its version, so that a wrong socket fails here, clearly. */
  public static ContainerdConnection connect(Path socket, Duration connectTimeout) {
    checkReachable(socket);
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .eventLoopGroup(group)
        .channelType(EpollDomainSocketChannel.class)
        .withOption(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
        .withOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WRITE_BUFFER)
        .usePlaintext()
        // containerd ignores :authority, but grpc-java needs a syntactically valid one for a socket path.
        .overrideAuthority("localhost")
        .maxInboundMessageSize(MAX_INBOUND_MESSAGE)
        .build();
    try {
      VersionResponse version = VersionGrpc.newBlockingStub(channel)
          .withDeadlineAfter(Math.max(1, connectTimeout.toMillis()), TimeUnit.MILLISECONDS)
          .withWaitForReady()
          .version(Empty.getDefaultInstance());
      return new ContainerdConnection(group, channel, version.getVersion());
    } catch (StatusRuntimeException e) {
      channel.shutdownNow();
      group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      String detail = e.getStatus().getDescription() == null ? ""
          : " " + e.getStatus().getDescription().lines().findFirst().orElse("");
      throw new ContainerdException(ContainerdException.Code.UNAVAILABLE,
          "connect to containerd at " + socket + ": " + e.getStatus().getCode() + detail, e);
    }
  }

  /**
   * Fails at once, with the reason ctr would give, when nothing can be reached at {@code socket}
   * (missing, not a socket, refused, permission denied); costs one unix-socket connect.
   */
  public static void checkReachable(Path socket) {
    if (!Files.exists(socket)) {
      throw new ContainerdException(ContainerdException.Code.UNAVAILABLE,
          "connect to containerd: socket " + socket + " does not exist (is containerd running? see --address)", null);
    }
    probe(socket);
  }

  /**
   * Connects once with a plain socket, so that a socket nobody can use fails at once with the
   * reason, as ctr's {@code connect: permission denied} does, instead of gRPC waiting out its
   * deadline and then describing its channel state.
   */
  static void probe(Path socket) {
    String what = "connect to containerd at " + socket + ": ";
    try {
      Object mode = Files.getAttribute(socket, "unix:mode");
      if (mode instanceof Integer m && (m & 0170000) != 0140000) {
        throw new ContainerdException(ContainerdException.Code.UNAVAILABLE,
            what + "not a socket (see --address)", null);
      }
    } catch (java.io.IOException | UnsupportedOperationException | IllegalArgumentException e) {
      // Not knowable here; the connection below says what is wrong.
    }
    try (java.nio.channels.SocketChannel channel = java.nio.channels.SocketChannel.open(
        java.net.StandardProtocolFamily.UNIX)) {
      channel.connect(java.net.UnixDomainSocketAddress.of(socket));
    } catch (java.io.IOException e) {
      String reason = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
      String advice = reason.contains("permission denied") ? "permission denied (run as root, as ctr must)"
          : reason.contains("refused") ? "connection refused (a stale socket: containerd is not running)"
          : reason;
      throw new ContainerdException(ContainerdException.Code.UNAVAILABLE, what + advice, e);
    }
  }

  public String serverVersion() {
    return serverVersion;
  }

  /** A session in {@code namespace}; add a lease to it with {@link GrpcSession#withLease}. */
  public GrpcSession session(String namespace) {
    return new GrpcSession(channel, namespace, null);
  }

  @Override
  public void close() {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
