package io.rpull.bench;

import io.rpull.fetch.DocumentParser;
import io.rpull.fetch.FetchEvents;
import io.rpull.fetch.FetchOptions;
import io.rpull.fetch.HttpClients;
import io.rpull.fetch.ImageReference;
import io.rpull.fetch.ImageSource;
import io.rpull.fetch.Registries;
import io.rpull.fetch.RegistrySettings;
import io.rpull.fetch.TlsSettings;
import io.rpull.types.Descriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
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
 * The receive path alone: the largest blob of rpull/big:v1 read from the test registry into a sink
 * that drops it, in CPU-seconds per GiB of this JVM (the registry is another process). {@code rpull}
 * is the product's path (ChunkedBlobFetcher: parallel ranges on its own connections, whole chunks
 * handed on); {@code okhttp} is the same 4 MiB ranges read one after another through OkHttp's body
 * stream, the path rpull used before, for comparison.
 *
 * <p>{@code RPULL_REGISTRY} (plain HTTP on loopback) or, with {@code registry=tls},
 * {@code RPULL_BENCH_REGISTRY_TLS} and the hosts directory {@code RPULL_BENCH_HOSTS_DIR} that trusts
 * its CA ({@code bench/link-up}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, batchSize = 1)
@Measurement(iterations = 5, batchSize = 1)
@Fork(value = 1, jvmArgs = {"-XX:+UseSerialGC", "-Xmx512m"})
public class BlobReceiveBenchmark {
  private static final int CHUNK = 4 << 20;

  @Param({"rpull", "okhttp"})
  String path;

  @Param({"plain"})
  String registry;

  private Registries registries;
  private ImageSource image;
  private Descriptor blob;
  private OkHttpClient okhttp;
  private HttpUrl blobUrl;
  private HttpClients clients;
  private long cpuNanos;
  private long bytes;

  @Setup(Level.Trial)
  public void resolve() {
    boolean tls = registry.equals("tls");
    String address = System.getenv(tls ? "RPULL_BENCH_REGISTRY_TLS" : "RPULL_REGISTRY");
    Optional<Path> hostsDir = Optional.ofNullable(System.getenv("RPULL_BENCH_HOSTS_DIR")).map(Path::of);
    RegistrySettings settings = new RegistrySettings(hostsDir, false, TlsSettings.SYSTEM,
        io.rpull.fetch.CredentialStore.NONE, FetchOptions.defaults(), Duration.ofSeconds(10), Duration.ofSeconds(30),
        "rpull-jmh", Optional.empty());
    registries = new Registries(settings, Clock.systemUTC());
    image = registries.open(ImageReference.parse(address + "/rpull/big:v1"), Optional.empty(), FetchEvents.NONE);
    ImageSource.Resolved top = image.resolve();
    blob = new DocumentParser().parseManifest(top.content(), top.descriptor().digest()).layers().stream()
        .max(Comparator.comparingLong(Descriptor::size)).orElseThrow();
    clients = new HttpClients(FetchOptions.defaults(), Duration.ofSeconds(10), Duration.ofSeconds(30), "rpull-jmh");
    TlsSettings trust = tls ? new TlsSettings(false, List.of(Path.of(System.getenv("RPULL_CA_CERT"))), Optional.empty())
        : TlsSettings.SYSTEM;
    blobUrl = HttpUrl.get((tls ? "https://" : "http://") + address + "/v2/rpull/big/blobs/" + blob.digest());
    okhttp = clients.forUrl(blobUrl, trust);
  }

  @TearDown(Level.Trial)
  public void close() {
    registries.close();
    clients.close();
    System.out.printf("%ncpu per GiB received (%s, %s): %.2f s%n", path, registry,
        cpuNanos / 1e9 / (bytes / (double) (1L << 30)));
  }

  @Benchmark
  public long receiveLargestBlob() throws IOException {
    long cpu0 = processCpuNanos();
    long n = path.equals("rpull") ? throughFetcher() : throughOkHttp();
    if (n != blob.size()) {
      throw new IllegalStateException("received " + n + " bytes of " + blob.size());
    }
    cpuNanos += processCpuNanos() - cpu0;
    bytes += n;
    return n;
  }

  private long throughFetcher() throws IOException {
    try (InputStream in = image.openBlob(blob, 0)) {
      return in.transferTo(OutputStream.nullOutputStream());
    }
  }

  private long throughOkHttp() throws IOException {
    byte[] chunk = new byte[CHUNK];
    long total = 0;
    for (long start = 0; start < blob.size(); start += CHUNK) {
      long end = Math.min(blob.size(), start + CHUNK) - 1;
      Request request = new Request.Builder().url(blobUrl).header("Range", "bytes=" + start + "-" + end).build();
      try (Response response = okhttp.newCall(request).execute(); InputStream in = response.body().byteStream()) {
        if (response.code() != 206) {
          throw new IOException("answer " + response.code() + " to a range request");
        }
        total += in.readNBytes(chunk, 0, (int) (end - start + 1));
      }
    }
    return total;
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }
}
