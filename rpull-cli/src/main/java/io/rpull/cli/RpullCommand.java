package io.rpull.cli;

import io.rpull.containerd.ContainerdConnection;
import io.rpull.fetch.ByteCounter;
import io.rpull.fetch.ChallengeAuthenticator;
import io.rpull.fetch.ChunkedBlobFetcher;
import io.rpull.fetch.CredentialHelper;
import io.rpull.fetch.CredentialStore;
import io.rpull.fetch.Credentials;
import io.rpull.fetch.DockerConfigCredentials;
import io.rpull.fetch.FetchOptions;
import io.rpull.fetch.HostsDirectory;
import io.rpull.fetch.HttpClients;
import io.rpull.fetch.ImageReference;
import io.rpull.fetch.Platform;
import io.rpull.fetch.RegistryClient;
import io.rpull.fetch.RegistryHost;
import io.rpull.fetch.RegistryTransport;
import io.rpull.fetch.TlsSettings;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rpull [flags] <ref>}: ctr rpull's command line, and what rpull adds to it. */
@Command(
    name = "rpull",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "rpull an image from a remote for overlaybd snapshotter.",
      "A drop-in for `ctr rpull`: chunked parallel downloads straight into containerd's content store;"
          + " with --download-blobs every layer is made local and verified, without untar."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:success",
      "1:any other failure",
      "2:invalid flags, or an invalid image reference",
      "3:the image, tag or platform does not exist in the registry",
      "4:the registry refused the credentials, or none were given",
      "5:the registry could not be reached or kept failing",
      "6:content did not match its digest or size, or a document was malformed",
      "7:containerd or the snapshotter failed or could not be reached"
    })
final class RpullCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(paramLabel = "<ref>", arity = "0..*",
      description = "Image reference, e.g. registry.example.com/library/redis:7 (a registry host is required)."
          + " Several references pull several images in one process.")
  List<String> refs = new ArrayList<>();

  @Option(names = "--from-file", paramLabel = "file",
      description = "Read references from a file, one per line ('-' for standard input); # starts a comment.")
  String fromFile;

  @Option(names = {"-o", "--output"}, defaultValue = "text", paramLabel = "text|json",
      description = "text: ctr's progress and 'done'; json: one JSON object per line (progress events and a"
          + " final result per image). Default: ${DEFAULT-VALUE}")
  String output;

  @Option(names = "--http-dump", description = "Dump HTTP requests and responses to stderr (credentials redacted).")
  boolean httpDump;

  @Option(names = "--http-trace", description = "Print HTTP request timings to stderr.")
  boolean httpTrace;

  @Option(names = "--completion", paramLabel = "bash", hidden = true, description = "Print a bash completion script.")
  String completion;

  @Option(names = {"-a", "--address"}, defaultValue = "${env:CONTAINERD_ADDRESS:-/run/containerd/containerd.sock}",
      description = "Address for containerd's GRPC server (env CONTAINERD_ADDRESS). Default: ${DEFAULT-VALUE}")
  String address;

  @Option(names = {"-n", "--namespace"}, defaultValue = "${env:CONTAINERD_NAMESPACE:-default}",
      description = "Namespace to use with commands (env CONTAINERD_NAMESPACE). Default: ${DEFAULT-VALUE}")
  String namespace;

  @Option(names = "--timeout", converter = GoDuration.class, defaultValue = "0",
      description = "Total timeout for the command, e.g. 5m (0: none).")
  Duration timeout;

  @Option(names = "--connect-timeout", converter = GoDuration.class, defaultValue = "0",
      description = "Timeout for connecting to containerd (0: 10s).")
  Duration connectTimeout;

  @Option(names = "--debug", description = "Enable debug output in logs.")
  boolean debug;

  @Option(names = {"-k", "--skip-verify"}, description = "Skip SSL certificate validation.")
  boolean skipVerify;

  @Option(names = "--plain-http", description = "Allow connections using plain HTTP.")
  boolean plainHttp;

  @Option(names = {"-u", "--user"}, paramLabel = "username[:password]",
      description = "User and password for the registry of the reference, and no other host."
          + " Without :password, rpull asks for it on the terminal.")
  String user;

  @Option(names = "--refresh", paramLabel = "token", description = "Refresh (identity) token for the registry.")
  String refresh;

  @Option(names = "--hosts-dir", paramLabel = "dir",
      description = "Custom hosts configuration directory (containerd hosts.toml / certs.d layout).")
  Path hostsDir;

  @Option(names = "--tlscacert", paramLabel = "file", description = "Path to TLS root CA.")
  Path tlsCaCert;

  @Option(names = "--tlscert", paramLabel = "file", description = "Path to TLS client certificate.")
  Path tlsCert;

  @Option(names = "--tlskey", paramLabel = "file", description = "Path to TLS client key.")
  Path tlsKey;

  @Option(names = "--max-bandwidth", converter = ByteSize.class, defaultValue = "0", paramLabel = "bytes/s",
      description = "Download bandwidth limit across all connections, e.g. 50MiB (0: none).")
  int maxBandwidth;

  @Option(names = "--label", paramLabel = "key=value", description = "Labels to attach to the image record.")
  List<String> labels = new ArrayList<>();

  @Option(names = "--snapshotter", defaultValue = "${env:CONTAINERD_SNAPSHOTTER:-overlaybd}",
      description = "Snapshotter name (env CONTAINERD_SNAPSHOTTER). Default: ${DEFAULT-VALUE}")
  String snapshotter;

  @Option(names = "--download-blobs",
      description = "Download all layer blobs and make them local (a full, verified pull) instead of lazy loading.")
  boolean downloadBlobs;

  @Option(names = "--platform", paramLabel = "os/arch[/variant]",
      description = "Platform to pull from a multi-platform image. Default: this machine's.")
  String platform;

  @Option(names = "--concurrency", defaultValue = "3",
      description = "Layer blobs downloaded at the same time. Default: ${DEFAULT-VALUE}")
  int concurrency;

  @Option(names = "--chunk-size", converter = ByteSize.class, defaultValue = "4MiB",
      description = "Bytes per HTTP range request. Default: ${DEFAULT-VALUE}")
  int chunkSize;

  @Option(names = "--chunks-per-blob", defaultValue = "6",
      description = "Range requests of one blob in flight at once. Default: ${DEFAULT-VALUE}")
  int chunksPerBlob;

  @Option(names = "--max-connections", defaultValue = "16",
      description = "Range requests in flight across all blobs. Default: ${DEFAULT-VALUE}")
  int maxConnections;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (completion != null) {
      out.print(picocli.AutoComplete.bash("rpull", spec.commandLine()));
      out.flush();
      return ExitCode.OK.code;
    }
    List<String> wanted = references();
    boolean json = switch (output) {
      case "json" -> true;
      case "text" -> false;
      default -> throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "invalid --output \"" + output + "\": use text or json");
    };
    Map<String, String> imageLabels = parseLabels();
    Platform target = platform == null ? Platform.host() : Platform.parse(platform);
    FetchOptions fetchOptions = new FetchOptions(chunkSize, chunksPerBlob, maxConnections,
        FetchOptions.defaults().maxAttempts(), FetchOptions.defaults().retryBackoff(), maxBandwidth,
        FetchOptions.defaults().hedgeAfter());
    List<ImageReference> parsed = new ArrayList<>();
    for (String ref : wanted) {
      parsed.add(ImageReference.parse(ref));
    }
    PullSettings settings = new PullSettings(snapshotter, downloadBlobs, target, imageLabels, concurrency,
        Math.min(chunkSize, 4 << 20));
    checkMemory(fetchOptions, settings);
    Duration connect = connectTimeout.isZero() ? Duration.ofSeconds(10) : connectTimeout;
    HostsDirectory hosts = new HostsDirectory(Optional.ofNullable(hostsDir), plainHttp, flagTls());
    PullProgress progress = new PullProgress();
    ProgressDisplay.Mode mode = json ? ProgressDisplay.Mode.JSON
        : debug ? ProgressDisplay.Mode.NONE
        : System.console() != null ? ProgressDisplay.Mode.TABLE : ProgressDisplay.Mode.PLAIN;
    Outcomes outcomes = new Outcomes(out, json);
    try (ProgressDisplay display = ProgressDisplay.create(mode, progress, out)) {
      outcomes.beforeEachResult(display::flush);
      Callable<Void> pull = () -> pullAll(parsed, wanted, fetchOptions, settings, connect, hosts, progress, outcomes);
      if (timeout.isZero()) {
        pull.call();
      } else {
        withDeadline(pull);
      }
    } catch (io.rpull.fetch.RegistryException | io.rpull.containerd.ContainerdException | java.io.IOException e) {
      // Nothing more can be pulled (containerd unreachable, deadline): every image not done failed so.
      outcomes.failedRemaining(wanted, e);
    }
    return outcomes.finish(spec.commandLine().getErr());
  }

  /** The references of the command line and of --from-file; ctr's own subcommand name is skipped. */
  private List<String> references() throws java.io.IOException {
    List<String> all = new ArrayList<>(refs.size() > 1 && refs.get(0).equals("rpull") ? refs.subList(1, refs.size())
        : refs);
    if (fromFile != null) {
      List<String> lines = fromFile.equals("-")
          ? new java.io.BufferedReader(new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8))
              .lines().toList()
          : java.nio.file.Files.readAllLines(Path.of(fromFile));
      lines.stream().map(l -> l.replaceAll("#.*", "").strip()).filter(l -> !l.isEmpty()).forEach(all::add);
    }
    if (all.isEmpty()) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "please provide an image reference to pull");
    }
    return all;
  }

  private Void pullAll(List<ImageReference> parsed, List<String> wanted, FetchOptions fetchOptions,
      PullSettings settings, Duration connect, HostsDirectory hosts, PullProgress progress, Outcomes outcomes)
      throws Exception {
    try (HttpClients http = new HttpClients(fetchOptions, connect, Duration.ofSeconds(60),
            "rpull/" + new VersionProvider().version(),
            httpDump || httpTrace ? new HttpDump(spec.commandLine().getErr(), httpDump) : null);
        ContainerdConnection containerd = ContainerdConnection.connect(Path.of(address), connect)) {
      CredentialStore credentials = credentials(parsed.get(0).registry());
      ChallengeAuthenticator auth = new ChallengeAuthenticator(credentials,
          realm -> realmClient(http, hosts, parsed, realm), Clock.systemUTC());
      RegistryTransport transport = new RegistryTransport(http, auth);
      ByteCounter counter = (blob, n) -> progress.received(blob.digest().toString(), n);
      try (ChunkedBlobFetcher fetcher = new ChunkedBlobFetcher(transport, fetchOptions, counter)) {
        for (int i = 0; i < parsed.size(); i++) {
          ImageReference ref = parsed.get(i);
          long started = System.nanoTime();
          try {
            RegistryClient registry = new RegistryClient(transport, hosts.hostsFor(ref.registry()));
            ImagePuller puller = new ImagePuller(registry, fetcher, containerd.session(namespace), settings,
                Clock.systemUTC(), progress);
            outcomes.succeeded(puller.pull(ref, wanted.get(i)), System.nanoTime() - started);
          } catch (io.rpull.fetch.RegistryException | io.rpull.containerd.ContainerdException | java.io.IOException e) {
            if (Thread.currentThread().isInterrupted()) {
              throw e;
            }
            // In a batch one image's failure does not stop the others.
            outcomes.failed(wanted.get(i), e, System.nanoTime() - started);
          }
        }
      }
    }
    return null;
  }

  /** --timeout: the whole command, as ctr's context deadline. */
  private void withDeadline(Callable<Void> pull) throws Exception {
    java.util.concurrent.ExecutorService runner = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "rpull-main");
      t.setDaemon(true);
      return t;
    });
    java.util.concurrent.Future<Void> result = runner.submit(pull);
    try {
      result.get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      result.cancel(true);
      throw new io.rpull.fetch.RegistryException(io.rpull.fetch.RegistryException.Kind.NETWORK,
          "context deadline exceeded: the pull did not finish within --timeout " + timeout.toSeconds() + "s");
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof Exception ex ? ex : e;
    } finally {
      runner.shutdownNow();
    }
  }

  /**
   * Chunk buffers are bounded by blobs at once x (chunks per blob + 1) x chunk size, plus one
   * message buffer per blob. Refuse settings that cannot fit the heap rather than fail mid-pull.
   */
  private void checkMemory(FetchOptions fetch, PullSettings settings) {
    long bound = settings.blobsAtOnce() * (fetch.memoryBoundPerBlob() + settings.messageBytes());
    long heap = Runtime.getRuntime().maxMemory();
    if (bound > heap * 7 / 10) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), String.format(
          "--concurrency %d x (--chunks-per-blob %d + 1) x --chunk-size %d needs %d MiB of buffers, more than the"
              + " heap allows (%d MiB); lower them or raise the heap with RPULL_JAVA_OPTS=-Xmx...",
          settings.blobsAtOnce(), fetch.chunksPerBlob(), fetch.chunkSize(), bound >> 20, heap >> 20));
    }
  }

  private TlsSettings flagTls() {
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "--tlscert and --tlskey must be given together");
    }
    return new TlsSettings(skipVerify, tlsCaCert == null ? List.of() : List.of(tlsCaCert),
        tlsCert == null ? Optional.empty() : Optional.of(new TlsSettings.ClientCertificate(tlsCert, tlsKey)));
  }

  /**
   * --user and --refresh apply to the reference's own registry only (ctr offers them to every host
   * that asks); docker's config.json covers the rest.
   */
  private CredentialStore credentials(String registry) {
    CredentialStore configured = DockerConfigCredentials.load(System.getenv(), CredentialHelper.system());
    if (refresh != null) {
      return CredentialStore.forHost(registry, new Credentials("", refresh)).orElse(configured);
    }
    if (user == null) {
      return configured;
    }
    int colon = user.indexOf(':');
    String name = colon < 0 ? user : user.substring(0, colon);
    String password = colon < 0 ? askPassword() : user.substring(colon + 1);
    return CredentialStore.forHost(registry, new Credentials(name, password)).orElse(configured);
  }

  private String askPassword() {
    java.io.Console console = System.console();
    if (console == null) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "--user has no password and there is no terminal to ask for one: use --user name:password");
    }
    char[] password = console.readPassword("Password: ");
    return password == null ? "" : new String(password);
  }

  /** Token realms on a registry host get that host's TLS settings; any other realm the defaults. */
  private static okhttp3.OkHttpClient realmClient(HttpClients http, HostsDirectory hosts, List<ImageReference> refs,
      okhttp3.HttpUrl realm) {
    for (ImageReference ref : refs) {
      for (RegistryHost host : hosts.hostsFor(ref.registry())) {
        if (host.apiRoot().host().equals(realm.host()) && host.apiRoot().port() == realm.port()) {
          return http.forTls(host.tls());
        }
      }
    }
    return http.base();
  }

  private Map<String, String> parseLabels() {
    Map<String, String> parsed = new LinkedHashMap<>();
    for (String label : labels) {
      int eq = label.indexOf('=');
      if (eq <= 0) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
            "invalid label \"" + label + "\": expected key=value");
      }
      parsed.put(label.substring(0, eq), label.substring(eq + 1));
    }
    return parsed;
  }
}
