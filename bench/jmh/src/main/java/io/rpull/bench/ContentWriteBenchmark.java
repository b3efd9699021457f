package io.rpull.bench;

import io.rpull.containerd.BlobKind;
import io.rpull.containerd.IngestResult;
import io.rpull.containerd.grpc.ContainerdConnection;
import io.rpull.containerd.grpc.GrpcContentStore;
import io.rpull.containerd.grpc.GrpcSession;
import io.rpull.types.Descriptor;
import io.rpull.types.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The hot path in isolation: ordered chunks (as the reassembly window hands them on) streamed by
 * BlobIngester into the real containerd of CONTAINERD_ADDRESS, one fresh 64 MiB blob per
 * operation, swept over the Content.Write message size. Reports the time per 64 MiB and prints the
 * CPU seconds per GiB spent by this JVM and by containerd.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, batchSize = 1)
@Measurement(iterations = 6, batchSize = 1)
@Fork(value = 1, jvmArgs = {"-XX:+UseSerialGC", "-Xmx512m"})
public class ContentWriteBenchmark {
  static final int BLOB = 64 << 20;
  static final int CHUNK = 4 << 20;

  @Param({"1048576", "4194304", "8388608"})
  int messageBytes;

  private ContainerdConnection connection;
  private GrpcSession session;
  private byte[] blob;
  private Descriptor ref;
  // Seeded from the clock: every fork must write content containerd has never seen.
  private final Random random = new Random(System.nanoTime());
  private long clientCpuNanos;
  private long containerdCpuTicks;
  private long bytesWritten;

  @Setup(Level.Trial)
  public void connect() {
    connection = ContainerdConnection.connect(Path.of(System.getenv("CONTAINERD_ADDRESS")), Duration.ofSeconds(10));
    session = connection.session("jmh");
    blob = new byte[BLOB];
  }

  /** Fresh random content each time: containerd must never find it already present. */
  @Setup(Level.Invocation)
  public void freshBlob() throws Exception {
    random.nextBytes(blob);
    ref = Descriptor.of("application/vnd.oci.image.layer.v1.tar", Digest.sha256Of(blob), BLOB);
  }

  /** CPU seconds per GiB written, of this JVM and of containerd, over the whole trial (warm-up included). */
  @TearDown(Level.Trial)
  public void close() {
    connection.close();
    double gib = bytesWritten / (double) (1L << 30);
    System.out.printf("%ncpu per GiB at %d-byte messages: client %.2f s, containerd %.2f s%n", messageBytes,
        clientCpuNanos / 1e9 / gib, containerdCpuTicks / 100.0 / gib);
  }

  @Benchmark
  public IngestResult write64MiB() throws IOException {
    long client0 = processCpuNanos();
    long containerd0 = containerdCpuTicks();
    IngestResult result = new GrpcContentStore(session, messageBytes)
        .ingest(BlobKind.LAYER, ref, offset -> chunks(offset));
    if (result.alreadyPresent()) {
      throw new IllegalStateException("containerd already had the blob: the measurement would be meaningless");
    }
    clientCpuNanos += processCpuNanos() - client0;
    containerdCpuTicks += containerdCpuTicks() - containerd0;
    bytesWritten += result.bytesWritten();
    return result;
  }

  /** The blob as the reassembly window delivers it: whole chunks, in order. */
  private InputStream chunks(long offset) {
    ArrayDeque<byte[]> queue = new ArrayDeque<>();
    for (long at = offset; at < BLOB; at += CHUNK) {
      byte[] c = new byte[(int) Math.min(CHUNK, BLOB - at)];
      System.arraycopy(blob, (int) at, c, 0, c.length);
      queue.add(c);
    }
    return new InputStream() {
      byte[] current = new byte[0];
      int position;

      @Override
      public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      /** As OrderedChunkStream hands chunks on: each whole, from its own array. */
      @Override
      public long transferTo(java.io.OutputStream out) throws IOException {
        long moved = 0;
        for (byte[] c = queue.poll(); c != null; c = queue.poll()) {
          out.write(c, 0, c.length);
          moved += c.length;
        }
        return moved;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (position == current.length) {
          if (queue.isEmpty()) {
            return -1;
          }
          current = queue.poll();
          position = 0;
        }
        int n = Math.min(len, current.length - position);
        System.arraycopy(current, position, b, off, n);
        position += n;
        return n;
      }
    };
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static long containerdCpuTicks() {
    try {
      String pid = Files.readString(Path.of(System.getenv("RPULL_TESTENV_DIR"), "containerd-2", "containerd.pid"))
          .strip();
      String[] f = Files.readString(Path.of("/proc", pid, "stat")).split("\\) ", 2)[1].split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    } catch (IOException e) {
      return 0;
    }
  }
}
