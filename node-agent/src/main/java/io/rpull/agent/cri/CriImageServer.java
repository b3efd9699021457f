package io.rpull.agent.cri;

import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.rpull.agent.CriAuth;
import io.rpull.agent.CriPuller;
import io.rpull.cri.v1.AuthConfig;
import io.rpull.cri.v1.ImageServiceGrpc;
import io.rpull.cri.v1.PullImageRequest;
import io.rpull.cri.v1.PullImageResponse;
import io.rpull.types.Failure;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * CRI's {@code runtime.v1.ImageService} on a unix socket, for kubelet's imageServiceEndpoint:
 * PullImage is rpull's full pull; ImageStatus, ListImages, RemoveImage and ImageFsInfo go to
 * containerd's own CRI byte for byte, so kubelet's view of images stays containerd's.
 */
public final class CriImageServer implements AutoCloseable {
  private static final String SERVICE = "runtime.v1.ImageService";
  static final List<String> FORWARDED = List.of("ListImages", "ImageStatus", "RemoveImage", "ImageFsInfo");

  private final Server server;
  private final ManagedChannel containerdCri;
  private final EventLoopGroup group;
  private final ExecutorService pulls;

  private CriImageServer(Server server, ManagedChannel containerdCri, EventLoopGroup group, ExecutorService pulls) {
    this.server = server;
    this.containerdCri = containerdCri;
    this.group = group;
    this.pulls = pulls;
  }

  /** Listens on {@code socket} (which must not exist) and forwards to {@code containerdCriSocket}. */
  public static CriImageServer start(Path socket, Path containerdCriSocket, CriPuller puller) throws IOException {
    EventLoopGroup group = new EpollEventLoopGroup(2);
    ManagedChannel containerdCri = NettyChannelBuilder.forAddress(new DomainSocketAddress(containerdCriSocket.toString()))
        .eventLoopGroup(group).channelType(EpollDomainSocketChannel.class).overrideAuthority("localhost")
        .usePlaintext().maxInboundMessageSize(64 << 20).build();
    ServerServiceDefinition.Builder service = ServerServiceDefinition.builder(SERVICE)
        .addMethod(ImageServiceGrpc.getPullImageMethod(), ServerCalls.asyncUnaryCall(
            (PullImageRequest request, StreamObserver<PullImageResponse> response) -> pull(puller, request, response)));
    for (String method : FORWARDED) {
      MethodDescriptor<byte[], byte[]> descriptor = bytesMethod(method);
      service.addMethod(descriptor, ServerCalls.asyncUnaryCall(
          (byte[] request, StreamObserver<byte[]> response) -> forward(containerdCri, descriptor, request, response)));
    }
    // Each pull blocks its thread for the whole pull; kubelet pulls serially by default, in
    // parallel when serializeImagePulls is off: the engine's node-wide limits bound the work.
    ExecutorService pulls = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "rpulld-cri");
      t.setDaemon(true);
      return t;
    });
    Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollServerDomainSocketChannel.class).bossEventLoopGroup(group).workerEventLoopGroup(group)
        .executor(pulls).addService(service.build()).maxInboundMessageSize(16 << 20).build();
    try {
      server.start();
    } catch (IOException | RuntimeException e) {
      containerdCri.shutdownNow();
      group.shutdownGracefully();
      throw e;
    }
    return new CriImageServer(server, containerdCri, group, pulls);
  }

  private static void pull(CriPuller puller, PullImageRequest request, StreamObserver<PullImageResponse> response) {
    // A cancelled call (kubelet gave up, or rpulld drains) stops the pull: its thread is interrupted.
    Thread worker = Thread.currentThread();
    Context.CancellableContext context = Context.current().withCancellation();
    context.addListener(c -> worker.interrupt(), Runnable::run);
    try {
      String imageId = puller.pull(request.getImage().getImage(), auth(request.getAuth()));
      response.onNext(PullImageResponse.newBuilder().setImageRef(imageId).build());
      response.onCompleted();
    } catch (CriPuller.Failed e) {
      response.onError(status(e.failure()).withDescription(e.getMessage()).asRuntimeException());
    } finally {
      context.cancel(null);
      Thread.interrupted(); // the pool thread goes back clean
    }
  }

  private static CriAuth auth(AuthConfig a) {
    return new CriAuth(a.getUsername(), a.getPassword(), a.getAuth(), a.getServerAddress(), a.getIdentityToken(),
        a.getRegistryToken());
  }

  /** The gRPC code for a failure class: what kubelet and crictl show, beside the message. */
  static Status status(Failure failure) {
    return switch (failure) {
      case USAGE -> Status.INVALID_ARGUMENT;
      case NOT_FOUND -> Status.NOT_FOUND;
      case AUTH -> Status.UNAUTHENTICATED;
      case NETWORK -> Status.UNAVAILABLE;
      case VERIFICATION -> Status.DATA_LOSS;
      case CONTAINERD -> Status.INTERNAL;
      case INTERRUPTED -> Status.CANCELLED;
      case OTHER -> Status.UNKNOWN;
    };
  }

  private static void forward(ManagedChannel channel, MethodDescriptor<byte[], byte[]> method, byte[] request,
      StreamObserver<byte[]> response) {
    CallOptions options = CallOptions.DEFAULT;
    if (Context.current().getDeadline() != null) {
      options = options.withDeadline(Context.current().getDeadline());
    }
    ClientCalls.asyncUnaryCall(channel.newCall(method, options), request, new StreamObserver<>() {
      @Override
      public void onNext(byte[] value) {
        response.onNext(value);
      }

      @Override
      public void onError(Throwable t) {
        Status status = Status.fromThrowable(t);
        response.onError(status.getCode() == Status.Code.UNAVAILABLE
            ? status.withDescription("containerd's CRI is not reachable: " + status.getDescription()).asException()
            : status.asException());
      }

      @Override
      public void onCompleted() {
        response.onCompleted();
      }
    });
  }

  private static MethodDescriptor<byte[], byte[]> bytesMethod(String name) {
    MethodDescriptor.Marshaller<byte[]> bytes = new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(byte[] value) {
        return new ByteArrayInputStream(value);
      }

      @Override
      public byte[] parse(InputStream stream) {
        try {
          return stream.readAllBytes();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
    return MethodDescriptor.<byte[], byte[]>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
        .setRequestMarshaller(bytes).setResponseMarshaller(bytes).build();
  }

  /** Stops taking calls; calls in flight go on. */
  public void stopAccepting() {
    server.shutdown();
  }

  /** Waits until every call in flight has ended, at most {@code timeout}. */
  public boolean awaitCalls(Duration timeout) throws InterruptedException {
    return server.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    containerdCri.shutdownNow();
    pulls.shutdownNow();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
