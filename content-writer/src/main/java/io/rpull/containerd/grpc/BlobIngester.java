package io.rpull.containerd.grpc;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.rpull.containerd.BlobKind;
import io.rpull.containerd.BlobSource;
import io.rpull.containerd.ContainerdException;
import io.rpull.containerd.IngestResult;
import io.rpull.containerd.api.content.AbortRequest;
import io.rpull.containerd.api.content.WriteAction;
import io.rpull.containerd.api.content.WriteContentRequest;
import io.rpull.containerd.api.content.WriteContentResponse;
import io.rpull.types.Descriptor;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.Objects;

/**
 * Writes one blob into containerd's content store through Content.Write: STAT first (present
 * already? a partial ingest to resume?), then pipelined WRITE messages in order, then COMMIT with
 * the expected digest and size, which containerd verifies.
 */
final class BlobIngester {
  /** Half of containerd's 16 MiB message limit, as containerd's own client uses. */
  public static final int MAX_MESSAGE_BYTES = 8 << 20;
  private static final long LOCK_BACKOFF_START_MS = 16;
  private static final long LOCK_BACKOFF_MAX_MS = 2048;

  private final GrpcSession session;
  private final int messageBytes;

  BlobIngester(GrpcSession session, int messageBytes) {
    this.session = Objects.requireNonNull(session, "session");
    if (messageBytes < 1 || messageBytes > MAX_MESSAGE_BYTES) {
      throw new IllegalArgumentException("message size must be 1.." + MAX_MESSAGE_BYTES);
    }
    this.messageBytes = messageBytes;
  }

  /**
   * Makes {@code blob} present in the session's namespace. A ref locked by another writer is waited
   * for; a commit that fails verification is aborted and fetched once more before giving up.
   */
  IngestResult ingest(BlobKind kind, Descriptor blob, BlobSource source) throws IOException {
    String ref = kind.ingestRef(blob.digest());
    long backoff = LOCK_BACKOFF_START_MS;
    boolean refetched = false;
    while (true) {
      try {
        return writeOnce(ref, blob, source);
      } catch (StatusRuntimeException e) {
        if (GrpcErrors.is(e, Status.Code.ALREADY_EXISTS)) {
          session.leaseId().ifPresent(lease -> new GrpcLeases(session, java.time.Clock.systemUTC())
              .addResource(lease, "content", blob.digest().toString()));
          return new IngestResult(true, 0, 0);
        }
        if (GrpcErrors.isRefLocked(e)) {
          sleep(backoff + (long) (Math.random() * backoff));
          backoff = Math.min(LOCK_BACKOFF_MAX_MS, backoff * 2);
          continue;
        }
        if (GrpcErrors.is(e, Status.Code.FAILED_PRECONDITION)) {
          // containerd keeps the bytes of a failed commit; without an Abort every retry fails alike.
          abort(ref);
          if (!refetched) {
            refetched = true;
            continue;
          }
          throw ContainerdException.verification("commit " + blob.digest()
              + ": content does not match its digest or size (fetched twice): " + e.getStatus().getDescription(), e);
        }
        throw GrpcErrors.of("write " + ref, e);
      }
    }
  }

  private IngestResult writeOnce(String ref, Descriptor blob, BlobSource source) throws IOException {
    WriteStream stream = new WriteStream();
    session.contentAsync().write(stream);
    boolean done = false;
    try {
      stream.send(WriteContentRequest.newBuilder()
          .setAction(WriteAction.STAT)
          .setRef(ref)
          .setTotal(blob.size())
          .setExpected(blob.digest().toString())
          .build());
      WriteContentResponse status = stream.next();
      long offset = status.getOffset();
      long resumedFrom = offset;
      if (offset > blob.size()) {
        // An ingest longer than the blob cannot be right; WRITE at offset 0 truncates it.
        offset = 0;
      }
      long written = 0;
      if (offset < blob.size()) {
        written = copy(ref, blob, source, offset, stream);
      }
      stream.send(WriteContentRequest.newBuilder()
          .setAction(WriteAction.COMMIT)
          .setRef(ref)
          .setOffset(blob.size())
          .setTotal(blob.size())
          .setExpected(blob.digest().toString())
          .build());
      WriteContentResponse committed;
      do {
        committed = stream.next();
      } while (committed.getAction() != WriteAction.COMMIT);
      if (committed.getOffset() != blob.size() || !committed.getDigest().equals(blob.digest().toString())) {
        throw Status.FAILED_PRECONDITION
            .withDescription("containerd committed " + committed.getOffset() + " bytes with digest "
                + committed.getDigest())
            .asRuntimeException();
      }
      stream.finish();
      done = true;
      // Nothing to write means containerd had it (shared from another namespace, or a full ingest).
      return new IngestResult(written == 0 && blob.size() > 0, written, resumedFrom);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while writing " + blob.digest());
    } finally {
      if (!done) {
        stream.cancel("rpull: ingest of " + blob.digest() + " stopped");
      }
    }
  }

  private long copy(String ref, Descriptor blob, BlobSource source, long offset, WriteStream stream)
      throws IOException {
    WriteMessages messages = new WriteMessages(ref, blob, offset, stream);
    try (InputStream in = source.open(offset)) {
      in.transferTo(messages);
      messages.flush();
    }
    if (messages.position < blob.size()) {
      throw new EOFException("blob " + blob.digest() + " ended at byte " + messages.position + " of " + blob.size());
    }
    return messages.position - offset;
  }

  /**
   * The bytes of a blob as pipelined WRITE messages. A large write (a whole downloaded chunk) is
   * sent straight from the caller's array: gRPC serialises a message into its own buffers before
   * {@code onNext} returns, so the array is the caller's again when write returns. Small writes are
   * gathered into messages of {@link #messageBytes} first.
   */
  private final class WriteMessages extends java.io.OutputStream {
    private final String ref;
    private final Descriptor blob;
    private final long offset;
    private final WriteStream stream;
    private byte[] pending;
    private int pendingLength;
    long position;

    WriteMessages(String ref, Descriptor blob, long offset, WriteStream stream) {
      this.ref = ref;
      this.blob = blob;
      this.offset = offset;
      this.stream = stream;
      this.position = offset;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (position + pendingLength + len > blob.size()) {
        throw new IOException("blob " + blob.digest() + " is longer than its " + blob.size() + " bytes");
      }
      while (len > 0) {
        if (pendingLength == 0 && len >= messageBytes / 2) {
          int n = Math.min(len, messageBytes);
          send(b, off, n);
          off += n;
          len -= n;
          continue;
        }
        if (pending == null) {
          pending = new byte[(int) Math.min(messageBytes, blob.size() - position)];
        }
        int n = Math.min(len, pending.length - pendingLength);
        System.arraycopy(b, off, pending, pendingLength, n);
        pendingLength += n;
        off += n;
        len -= n;
        if (pendingLength == pending.length) {
          flush();
        }
      }
    }

    @Override
    public void flush() throws IOException {
      if (pendingLength > 0) {
        int n = pendingLength;
        pendingLength = 0;
        send(pending, 0, n);
      }
    }

    private void send(byte[] b, int off, int len) throws IOException {
      WriteContentRequest.Builder write = WriteContentRequest.newBuilder()
          .setAction(WriteAction.WRITE)
          .setOffset(position)
          .setData(UnsafeByteOperations.unsafeWrap(b, off, len));
      if (position == offset) {
        write.setRef(ref);
      }
      try {
        stream.send(write.build());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while writing " + blob.digest());
      }
      stream.drainAcknowledgements();
      position += len;
    }
  }

  /** Deletes the ingest of {@code ref}; absent ingests are fine. */
  void abort(String ref) {
    try {
      session.content().abort(AbortRequest.newBuilder().setRef(ref).build());
    } catch (StatusRuntimeException e) {
      if (!GrpcErrors.is(e, Status.Code.NOT_FOUND)) {
        throw GrpcErrors.of("abort " + ref, e);
      }
    }
  }

  private static void sleep(long millis) throws InterruptedIOException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for a locked ref");
    }
  }
}
