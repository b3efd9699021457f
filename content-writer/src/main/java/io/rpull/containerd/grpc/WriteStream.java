package io.rpull.containerd.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.rpull.containerd.api.content.WriteContentRequest;
import io.rpull.containerd.api.content.WriteContentResponse;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A blocking view of one Content.Write stream: {@link #send} waits for gRPC flow control (so
 * pipelined WRITE messages never pile up in memory), {@link #next} takes the next answer.
 */
final class WriteStream implements ClientResponseObserver<WriteContentRequest, WriteContentResponse> {
  private static final Object COMPLETED = new Object();

  private final BlockingQueue<Object> answers = new LinkedBlockingQueue<>();
  private final Object readiness = new Object();
  private volatile ClientCallStreamObserver<WriteContentRequest> requests;
  private volatile Throwable failure;

  @Override
  public void beforeStart(ClientCallStreamObserver<WriteContentRequest> requestStream) {
    this.requests = requestStream;
    requestStream.setOnReadyHandler(this::wake);
  }

  @Override
  public void onNext(WriteContentResponse value) {
    answers.add(value);
  }

  @Override
  public void onError(Throwable t) {
    failure = t;
    answers.add(t);
    wake();
  }

  @Override
  public void onCompleted() {
    answers.add(COMPLETED);
    wake();
  }

  private void wake() {
    synchronized (readiness) {
      readiness.notifyAll();
    }
  }

  void send(WriteContentRequest request) throws InterruptedException {
    synchronized (readiness) {
      while (!requests.isReady() && failure == null) {
        readiness.wait(100);
      }
    }
    throwIfFailed();
    requests.onNext(request);
  }

  /** The next answer; throws the stream's failure as a StatusRuntimeException. */
  WriteContentResponse next() throws InterruptedException {
    Object answer = answers.take();
    if (answer instanceof WriteContentResponse r) {
      return r;
    }
    if (answer == COMPLETED) {
      throw Status.INTERNAL.withDescription("write stream ended without an answer").asRuntimeException();
    }
    throw asStatus((Throwable) answer);
  }

  /** Drops answers already received (intermediate WRITE acknowledgements), surfacing a failure. */
  void drainAcknowledgements() {
    throwIfFailed();
    answers.removeIf(a -> a instanceof WriteContentResponse);
  }

  /**
   * Ends the stream after a successful COMMIT. containerd repeats its last answer once before it
   * completes; that copy is expected and ignored. Waiting for completion releases the ref lock
   * before the caller moves on.
   */
  void finish() throws InterruptedException {
    requests.onCompleted();
    for (int i = 0; i < 4; i++) {
      Object answer = answers.poll(30, TimeUnit.SECONDS);
      if (answer == null || answer == COMPLETED) {
        return;
      }
      if (answer instanceof Throwable t) {
        throw asStatus(t);
      }
    }
  }

  void cancel(String why) {
    ClientCallStreamObserver<WriteContentRequest> r = requests;
    if (r != null) {
      r.cancel(why, null);
    }
  }

  private void throwIfFailed() {
    Throwable t = failure;
    if (t != null) {
      throw asStatus(t);
    }
  }

  private static StatusRuntimeException asStatus(Throwable t) {
    return t instanceof StatusRuntimeException s ? s : Status.fromThrowable(t).asRuntimeException();
  }
}
