package io.rpull.containerd.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rpull.containerd.BlobKind;
import io.rpull.containerd.BlobSource;
import io.rpull.containerd.ContainerdException;
import io.rpull.containerd.IngestResult;
import io.rpull.containerd.Leases;
import io.rpull.containerd.api.content.ListStatusesRequest;
import io.rpull.containerd.api.leases.ListResourcesRequest;
import io.rpull.types.Descriptor;
import io.rpull.types.Digest;
import io.rpull.types.Failure;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Content.Write protocol against the real containerd of the test environment. */
class BlobIngesterIT {
  private ContainerdConnection connection;
  private GrpcSession session;

  @BeforeEach
  void connect() {
    String address = System.getenv("CONTAINERD_ADDRESS");
    if (address == null) {
      throw new IllegalStateException("CONTAINERD_ADDRESS is not set: run through `make test` (testenv/up)");
    }
    connection = ContainerdConnection.connect(Path.of(address), Duration.ofSeconds(10));
    session = connection.session("ingest-" + UUID.randomUUID().toString().substring(0, 8));
  }

  @AfterEach
  void close() {
    connection.close();
  }

  /** Random content nobody else has, so that containerd cannot share it from another namespace. */
  private static byte[] content(int size) {
    byte[] b = new byte[size];
    new Random().nextBytes(b);
    return b;
  }

  private static Descriptor ref(byte[] content) {
    return Descriptor.of("application/octet-stream", Digest.sha256Of(content), content.length);
  }

  private static BlobSource from(byte[] content, AtomicLong served) {
    return offset -> {
      served.addAndGet(content.length - offset);
      return new ByteArrayInputStream(content, (int) offset, content.length - (int) offset);
    };
  }

  private byte[] read(Digest digest, long size) {
    return new GrpcContentStore(session, 1 << 20).read(digest, size).orElseThrow();
  }

  @Test
  void ingest_commitsVerifiedContent_andASecondIngestFindsItPresent() throws Exception {
    byte[] data = content(9 << 20);
    Descriptor blob = ref(data);
    BlobIngester ingester = new BlobIngester(session, 4 << 20);
    IngestResult first = ingester.ingest(BlobKind.LAYER, blob, from(data, new AtomicLong()));
    assertFalse(first.alreadyPresent());
    assertEquals(data.length, first.bytesWritten());
    assertArrayEquals(data, read(blob.digest(), blob.size()));
    AtomicLong served = new AtomicLong();
    assertTrue(ingester.ingest(BlobKind.LAYER, blob, from(data, served)).alreadyPresent());
    assertEquals(0, served.get(), "a present blob is not fetched again");
  }

  @Test
  void interruptedIngest_resumesFromContainerdsOffset() throws Exception {
    byte[] data = content(6 << 20);
    Descriptor blob = ref(data);
    BlobIngester ingester = new BlobIngester(session, 1 << 20);
    int breakAt = 3 << 20;
    BlobSource breaking = offset -> new InputStream() {
      long position = offset;

      @Override
      public int read() throws IOException {
        if (position >= breakAt) {
          throw new IOException("test: network gone");
        }
        return data[(int) position++] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (position >= breakAt) {
          throw new IOException("test: network gone");
        }
        int n = (int) Math.min(len, breakAt - position);
        System.arraycopy(data, (int) position, b, off, n);
        position += n;
        return n;
      }
    };
    assertThrows(IOException.class, () -> ingester.ingest(BlobKind.LAYER, blob, breaking));
    AtomicLong served = new AtomicLong();
    IngestResult resumed = ingester.ingest(BlobKind.LAYER, blob, from(data, served));
    // Messages still in flight when the stream broke may be lost: containerd's offset says where to go on.
    assertTrue(resumed.resumedFrom() > 0 && resumed.resumedFrom() <= breakAt, "resumed from " + resumed.resumedFrom());
    assertEquals(data.length - resumed.resumedFrom(), served.get(), "only the missing bytes are fetched");
    assertArrayEquals(data, read(blob.digest(), blob.size()));
  }

  /** A source that hands its bytes on as the chunk downloader does: whole chunks, in pieces of these sizes. */
  private static BlobSource inPieces(byte[] content, int... sizes) {
    return offset -> new ByteArrayInputStream(content, (int) offset, content.length - (int) offset) {
      @Override
      public long transferTo(java.io.OutputStream out) throws IOException {
        long moved = 0;
        for (int i = 0; pos < count; i++) {
          int n = Math.min(sizes[i % sizes.length], count - pos);
          out.write(buf, pos, n);
          pos += n;
          moved += n;
        }
        return moved;
      }
    };
  }

  @Test
  void chunksOfAnySize_areWrittenInOrder_largeOnesAsTheirOwnMessages() throws Exception {
    byte[] data = content((11 << 20) + 12345);
    Descriptor blob = ref(data);
    // 4 MiB chunks, a few bytes, a piece larger than a message, a piece just under half of one.
    BlobSource source = inPieces(data, 4 << 20, 3, (1 << 20) + 7, 1, (512 << 10) - 1, 4 << 20);
    IngestResult result = new BlobIngester(session, 1 << 20).ingest(BlobKind.LAYER, blob, source);
    assertEquals(data.length, result.bytesWritten());
    assertArrayEquals(data, read(blob.digest(), blob.size()));
  }

  @Test
  void aSourceLongerThanTheBlob_isRefused_beforeContainerdCommitsAnything() {
    byte[] data = content(3 << 20);
    Descriptor blob = ref(java.util.Arrays.copyOf(data, 2 << 20));
    IOException e = assertThrows(IOException.class,
        () -> new BlobIngester(session, 1 << 20).ingest(BlobKind.LAYER, blob, inPieces(data, 1 << 20)));
    assertTrue(e.getMessage().contains("longer than its " + (2 << 20) + " bytes"), e.getMessage());
    assertTrue(new GrpcContentStore(session, 1 << 20).info(blob.digest()).isEmpty());
  }

  @Test
  void wrongContent_isRefetchedOnce_thenAVerificationError_andNoIngestIsLeft() throws Exception {
    byte[] data = content(2 << 20);
    byte[] corrupt = data.clone();
    corrupt[12345] ^= 1;
    Descriptor blob = ref(data);
    AtomicLong served = new AtomicLong();
    ContainerdException e = assertThrows(ContainerdException.class,
        () -> new BlobIngester(session, 1 << 20).ingest(BlobKind.LAYER, blob, from(corrupt, served)));
    assertEquals(Failure.VERIFICATION, e.failure());
    assertEquals(2L * data.length, served.get(), "fetched twice, the second time from zero");
    assertEquals(0, session.content().listStatuses(ListStatusesRequest.getDefaultInstance()).getStatusesCount(),
        "the failed ingest was aborted");
    assertTrue(new GrpcContentStore(session, 1 << 20).info(blob.digest()).isEmpty());
  }

  @Test
  void twoWritersOfOneBlob_oneWaitsOnTheRefLock_andTheBlobIsWrittenOnce() throws Exception {
    byte[] data = content(24 << 20);
    Descriptor blob = ref(data);
    AtomicLong served = new AtomicLong();
    BlobSource slow = offset -> new java.io.FilterInputStream(
        new ByteArrayInputStream(data, (int) offset, data.length - (int) offset)) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, Math.min(len, 256 << 10));
        served.addAndGet(Math.max(n, 0));
        return n;
      }
    };
    BlobIngester ingester = new BlobIngester(session, 1 << 20);
    CompletableFuture<IngestResult> a = CompletableFuture.supplyAsync(() -> ingest(ingester, blob, slow));
    CompletableFuture<IngestResult> b = CompletableFuture.supplyAsync(() -> ingest(ingester, blob, slow));
    IngestResult ra = a.get();
    IngestResult rb = b.get();
    assertTrue(ra.alreadyPresent() != rb.alreadyPresent(), ra + " / " + rb);
    assertEquals(data.length, served.get());
    assertArrayEquals(data, read(blob.digest(), blob.size()));
  }

  @Test
  void underALease_theCommittedBlobIsAResourceOfTheLease_andTheLeaseExpires() throws Exception {
    Leases leases = new GrpcLeases(session, Clock.systemUTC());
    String lease = leases.create(Duration.ofHours(24));
    try {
      byte[] data = content(1 << 20);
      Descriptor blob = ref(data);
      new BlobIngester(session.withLease(lease), 1 << 20).ingest(BlobKind.LAYER, blob, from(data, new AtomicLong()));
      var resources = session.leases().listResources(ListResourcesRequest.newBuilder().setId(lease).build());
      assertTrue(resources.getResourcesList().stream()
          .anyMatch(r -> r.getType().equals("content") && r.getId().equals(blob.digest().toString())), resources.toString());
      var listed = session.leases().list(io.rpull.containerd.api.leases.ListRequest.getDefaultInstance());
      assertTrue(listed.getLeasesList().stream().filter(l -> l.getId().equals(lease))
          .allMatch(l -> l.getLabelsMap().containsKey(Leases.EXPIRE_LABEL)));
    } finally {
      leases.delete(lease);
    }
  }

  private static IngestResult ingest(BlobIngester ingester, Descriptor blob, BlobSource source) {
    try {
      return ingester.ingest(BlobKind.LAYER, blob, source);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
