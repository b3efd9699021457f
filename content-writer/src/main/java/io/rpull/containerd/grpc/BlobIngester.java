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
      throws IOException, InterruptedException {
    long position = offset;
    // One buffer for the whole blob: gRPC serialises a message into its own buffers during
    // onNext, so the array is free again as soon as send() returns.
    byte[] buffer = new byte[(int) Math.min(messageBytes, Math.max(1, blob.size() - offset))];
    try (InputStream in = source.open(offset)) {
      while (position < blob.size()) {
        int want = (int) Math.min(buffer.length, blob.size() - position);
        int got = in.readNBytes(buffer, 0, want);
        if (got < want) {
          throw new EOFException("blob " + blob.digest() + " ended at byte " + (position + got)
              + " of " + blob.size());
        }
        WriteContentRequest.Builder write = WriteContentRequest.newBuilder()
            .setAction(WriteAction.WRITE)
            .setOffset(position)
            .setData(UnsafeByteOperations.unsafeWrap(buffer, 0, got));
        if (position == offset) {
          write.setRef(ref);
        }
        stream.send(write.build());
        stream.drainAcknowledgements();
        position += got;
      }
    }
    return position - offset;
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
