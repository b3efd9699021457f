package io.rpull.cli;

import io.rpull.engine.Failures;
import io.rpull.engine.PullEngine;
import io.rpull.engine.PullError;
import io.rpull.engine.PullRequest;
import io.rpull.engine.PullResult;
import io.rpull.fetch.CredentialHelper;
import io.rpull.fetch.Credentials;
import io.rpull.fetch.DockerConfigCredentials;
import io.rpull.fetch.FetchOptions;
import io.rpull.fetch.ImageReference;
import io.rpull.fetch.RegistrySettings;
import io.rpull.fetch.TlsSettings;
import io.rpull.types.Failure;
import io.rpull.types.Platform;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
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
    exitCodeListHeading = "%nExit codes:%n")
final class RpullCommand implements Callable<Integer> {
  static final String DEFAULT_ADDRESS = "/run/containerd/containerd.sock";

  /** containerd's identifiers.Validate: what it accepts as a namespace. */
  private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*");
  private static final int MAX_NAMESPACE = 76;
  /** Past this, a chunk is no longer a "chunk": memory per blob grows and parallelism shrinks. */
  private static final int MAX_CHUNK_SIZE = 64 << 20;

  @Spec
  CommandSpec spec;

  private final Invocation invocation;
  private final PullEngines engines;
  /** Why {@link #engines} would not run this command, if they would not. */
  Optional<String> declined = Optional.empty();

  RpullCommand(Invocation invocation, PullEngines engines) {
    this.invocation = invocation;
    this.engines = engines;
  }

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

  @Option(names = "--completion", paramLabel = "bash|zsh|fish", hidden = true,
      description = "Print a shell completion script.")
  String completion;

  // The environment defaults are the caller's (the agent runs commands for other processes), so
  // they are applied in call(), not by picocli from this process's environment.
  @Option(names = {"-a", "--address"},
      description = "Address for containerd's GRPC server (env CONTAINERD_ADDRESS). Default: " + DEFAULT_ADDRESS)
  String address;

  @Option(names = {"-n", "--namespace"},
      description = "Namespace to use with commands (env CONTAINERD_NAMESPACE). Default: default")
  String namespace;

  @Option(names = "--timeout", converter = GoDuration.class, defaultValue = "0",
      description = "Total timeout for the command, e.g. 5m (0: none).")
  Duration timeout;

  @Option(names = "--connect-timeout", converter = GoDuration.class, defaultValue = "0",
      description = "Timeout for connecting to containerd (0: 10s).")
  Duration connectTimeout;

  @Option(names = "--stall-timeout", converter = GoDuration.class, defaultValue = "60s",
      description = "rpull: a registry connection that delivers nothing for this long is dropped and the"
          + " request resumed on a new one. Default: 60s")
  Duration stallTimeout;

  @Option(names = "--debug", description = "No progress display (as ctr); each failure's stack trace on stderr.")
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

  @Option(names = "--snapshotter",
      description = "Snapshotter name (env CONTAINERD_SNAPSHOTTER). Default: overlaybd")
  String snapshotter;

  @Option(names = "--download-blobs",
      description = "Download all layer blobs and make them local (a full, verified pull) instead of lazy loading.")
  boolean downloadBlobs;

  @Option(names = "--platform", paramLabel = "os/arch[/variant]", converter = PlatformConverter.class,
      description = "Platform to pull from a multi-platform image. Default: this machine's.")
  Platform platform;

  @Option(names = "--concurrency", defaultValue = "3",
      description = "Layer blobs downloaded at the same time. Default: ${DEFAULT-VALUE}")
  int concurrency;

  @Option(names = "--chunk-size", converter = ByteSize.class, defaultValue = "4MiB",
      description = "Bytes per HTTP range request (64KiB to 64MiB). Default: ${DEFAULT-VALUE}")
  int chunkSize;

  @Option(names = "--chunks-per-blob", defaultValue = "6",
      description = "Range requests of one blob in flight at once. Default: ${DEFAULT-VALUE}")
  int chunksPerBlob;

  @Option(names = "--max-connections", defaultValue = "16",
      description = "Range requests in flight across all blobs. Default: ${DEFAULT-VALUE}")
  int maxConnections;

  @Option(names = "--no-agent",
      description = "Pull in this process even when the node agent rpulld is running.")
  boolean noAgent;

  @Option(names = "--agent-socket", paramLabel = "path",
      description = "The node agent's socket (env RPULL_AGENT_SOCKET). Default: " + AgentClient.DEFAULT_SOCKET)
  Path agentSocket;

  @Override
  public Integer call() throws IOException {
    Map<String, String> env = invocation.environment();
    address = address != null ? address : env.getOrDefault("CONTAINERD_ADDRESS", DEFAULT_ADDRESS);
    namespace = namespace != null ? namespace : env.getOrDefault("CONTAINERD_NAMESPACE", "default");
    snapshotter = snapshotter != null ? snapshotter : env.getOrDefault("CONTAINERD_SNAPSHOTTER", "overlaybd");
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (completion != null) {
      if (!Completion.supports(completion)) {
        throw usage("--completion", completion, "use " + Completion.SHELLS);
      }
      out.print(Completion.script(completion, spec.commandLine()));
      out.flush();
      return ExitCode.OK.code;
    }
    // Every flag is checked before anything is contacted: a bad value is a usage error, never a pull failure.
    boolean json = outputIsJson();
    FetchOptions fetch = fetchOptions();
    Map<String, String> imageLabels = parseLabels();
    TlsSettings tls = flagTls();
    checkNamespace();
    List<ImageInput> inputs = inputs();
    declined = engines.refusal(invocation.resolve(Path.of(address)), httpDump || httpTrace);
    if (declined.isPresent()) {
      return ExitCode.FAILURE.code; // nothing printed: the caller runs the command elsewhere
    }
    Optional<Credentials> credentials = credentials(inputs);

    List<String> images = inputs.stream().map(ImageInput::text).toList();
    Outcomes outcomes = new Outcomes(out, err, json, debug);
    Interrupts.install(invocation, outcomes, images, err, json);
    ProgressDisplay.Mode mode = json ? ProgressDisplay.Mode.JSON
        : debug ? ProgressDisplay.Mode.NONE
        : invocation.interactive() ? ProgressDisplay.Mode.TABLE : ProgressDisplay.Mode.PLAIN;
    try (ProgressDisplay display = ProgressDisplay.create(mode, out, invocation::terminal)) {
      Callable<Void> pulls = () -> {
        pullAll(inputs, images, fetch, tls, imageLabels, credentials, display, outcomes, err);
        return null;
      };
      if (timeout.isZero()) {
        runQuietly(pulls);
      } else {
        withDeadline(pulls, images, outcomes);
      }
    }
    return outcomes.finish();
  }

  /** @param images the text of each input, for the results of images a stop leaves without one */
  private void pullAll(List<ImageInput> inputs, List<String> images, FetchOptions fetch, TlsSettings tls,
      Map<String, String> imageLabels, Optional<Credentials> credentials, ProgressDisplay display, Outcomes outcomes,
      PrintWriter err) {
    if (inputs.stream().allMatch(i -> i.reference().isEmpty())) {
      inputs.forEach(i -> outcomes.failed(i.text(), i.error().orElseThrow()));
      return;
    }
    Duration connect = connectTimeout.isZero() ? Duration.ofSeconds(10) : connectTimeout;
    RegistrySettings settings = new RegistrySettings(Optional.ofNullable(hostsDir).map(invocation::resolve),
        plainHttp, tls, DockerConfigCredentials.load(invocation.environment(), CredentialHelper.system()), fetch,
        connect, stallTimeout, "rpull/" + BuildInfo.versionOf(RpullCommand.class),
        httpDump || httpTrace ? Optional.of(new RegistrySettings.HttpLog(err, httpDump)) : Optional.empty());
    PullEngines.Opened opened;
    try {
      opened = engines.open(invocation.resolve(Path.of(address)), connect, Math.min(chunkSize, 4 << 20), settings,
          concurrency);
    } catch (RuntimeException e) {
      // Nothing can be pulled: every image fails so, except those that were never valid.
      PullError unreachable = Failures.classify(e);
      inputs.forEach(i -> outcomes.failed(i.text(), i.error().orElse(unreachable)));
      return;
    }
    try (opened) {
      PullEngine engine = opened.engine();
      Optional<String> credentialRegistry = inputs.stream().flatMap(i -> i.reference().stream())
          .map(ImageReference::registry).findFirst();
      for (ImageInput input : inputs) {
        if (input.reference().isEmpty()) {
          outcomes.failed(input.text(), input.error().orElseThrow());
          continue;
        }
        ImageReference ref = input.reference().get();
        PullRequest request = new PullRequest(ref, input.text(), namespace, snapshotter,
            platform == null ? Platform.host() : platform,
            downloadBlobs ? PullRequest.Mode.FULL : PullRequest.Mode.LAZY, imageLabels,
            credentialRegistry.filter(ref.registry()::equals).flatMap(r -> credentials), concurrency);
        // --http-trace and --http-dump write a skipped host beside the requests; --debug says it alone.
        PullProgress progress = new PullProgress(input.text(), debug && !httpDump && !httpTrace ? err : null);
        display.show(progress);
        PullResult result = engine.pull(request, progress);
        display.ended(progress);
        if (result.error().map(e -> e.failure() == Failure.INTERRUPTED).orElse(false)) {
          outcomes.failedRemaining(images, result.error().get());
          return;
        }
        outcomes.add(result);
      }
    }
  }

  private static void runQuietly(Callable<Void> pulls) {
    try {
      pulls.call();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** --timeout: the whole command, as ctr's context deadline; images not done by then fail so. */
  private void withDeadline(Callable<Void> pulls, List<String> images, Outcomes outcomes) {
    ExecutorService runner = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "rpull-main");
      t.setDaemon(true);
      return t;
    });
    Future<Void> result = runner.submit(pulls);
    try {
      result.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      result.cancel(true);
      outcomes.failedRemaining(images, new PullError(Failure.NETWORK,
          "context deadline exceeded: the pull did not finish within --timeout " + timeout.toSeconds() + "s", e));
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      runner.shutdownNow();
    }
  }

  private boolean outputIsJson() {
    return switch (output) {
      case "json" -> true;
      case "text" -> false;
      default -> throw usage("--output", output, "use text or json");
    };
  }

  private FetchOptions fetchOptions() {
    atLeastOne("--concurrency", concurrency);
    atLeastOne("--chunks-per-blob", chunksPerBlob);
    atLeastOne("--max-connections", maxConnections);
    if (chunkSize < FetchOptions.MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
      throw usage("--chunk-size", String.valueOf(chunkSize), "must be between 64KiB and 64MiB");
    }
    FetchOptions fetch = FetchOptions.defaults().withTransfer(chunkSize, chunksPerBlob, maxConnections, maxBandwidth);
    checkMemory(fetch);
    return fetch;
  }

  private void atLeastOne(String flag, int value) {
    if (value < 1) {
      throw usage(flag, String.valueOf(value), "must be at least 1");
    }
  }

  /**
   * Chunk buffers are bounded by blobs at once × (chunks per blob + the one being read + the hedge
   * copy) × chunk size, plus one message buffer per blob. Refuse settings that cannot fit the heap
   * rather than fail mid-pull.
   */
  private void checkMemory(FetchOptions fetch) {
    long bound = concurrency * (fetch.memoryBoundPerBlob() + Math.min(chunkSize, 4 << 20));
    long heap = Runtime.getRuntime().maxMemory();
    if (bound > heap * 7 / 10) {
      throw new ParameterException(spec.commandLine(), String.format(
          "--concurrency %d × (--chunks-per-blob %d + 2) × --chunk-size %d needs %d MiB of buffers, more than the"
              + " heap allows (%d MiB); lower them or raise the heap with RPULL_JAVA_OPTS=-Xmx...",
          concurrency, chunksPerBlob, chunkSize, bound >> 20, heap >> 20));
    }
  }

  private void checkNamespace() {
    if (namespace.length() > MAX_NAMESPACE || !NAMESPACE.matcher(namespace).matches()) {
      throw usage("--namespace", namespace, "containerd accepts letters, digits and single '.', '_' or '-' between"
          + " them, at most " + MAX_NAMESPACE + " characters");
    }
  }

  /** The images of the command line and of --from-file; ctr's own subcommand name is skipped. */
  private List<ImageInput> inputs() throws IOException {
    List<String> args = refs.size() > 1 && refs.get(0).equals("rpull") ? refs.subList(1, refs.size()) : refs;
    List<ImageInput> all = new ArrayList<>();
    args.forEach(a -> all.add(ImageInput.of(a, Optional.empty())));
    if (fromFile != null) {
      if (!fromFile.equals("-")) {
        requireFile("--from-file", Path.of(fromFile));
      }
      all.addAll(ImageInput.fromFile(fromFile, invocation));
    }
    if (all.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "please provide an image reference to pull");
    }
    return all;
  }

  private void requireFile(String flag, Path given) {
    Path file = invocation.resolve(given);
    if (Files.isDirectory(file)) {
      throw usage(flag, file.toString(), "is a directory, not a file");
    }
    if (!Files.isRegularFile(file)) {
      throw usage(flag, file.toString(), "no such file");
    }
    if (!Files.isReadable(file)) {
      throw usage(flag, file.toString(), "permission denied");
    }
  }

  private TlsSettings flagTls() {
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new ParameterException(spec.commandLine(), "--tlscert and --tlskey must be given together");
    }
    Optional.ofNullable(tlsCaCert).ifPresent(f -> requireFile("--tlscacert", f));
    Optional.ofNullable(tlsCert).ifPresent(f -> requireFile("--tlscert", f));
    Optional.ofNullable(tlsKey).ifPresent(f -> requireFile("--tlskey", f));
    return new TlsSettings(skipVerify, tlsCaCert == null ? List.of() : List.of(invocation.resolve(tlsCaCert)),
        tlsCert == null ? Optional.empty() : Optional.of(new TlsSettings.ClientCertificate(
            invocation.resolve(tlsCert), invocation.resolve(tlsKey))));
  }

  /**
   * --user and --refresh apply to the registry of the first reference only (ctr offers them to every
   * host that asks); docker's config.json covers the rest. The password prompt names that registry
   * and comes before any progress.
   */
  private Optional<Credentials> credentials(List<ImageInput> inputs) {
    if (refresh != null) {
      return Optional.of(new Credentials("", refresh));
    }
    if (user == null) {
      return Optional.empty();
    }
    int colon = user.indexOf(':');
    String name = colon < 0 ? user : user.substring(0, colon);
    if (colon >= 0) {
      return Optional.of(new Credentials(name, user.substring(colon + 1)));
    }
    String registry = inputs.stream().flatMap(i -> i.reference().stream()).map(ImageReference::registry)
        .findFirst().orElse("the registry");
    char[] password = invocation.readPassword("Password for " + name + "@" + registry + ": ").orElseThrow(() ->
        usage("--user", name, "has no password and there is no terminal to ask for one: use --user name:password"));
    return Optional.of(new Credentials(name, new String(password)));
  }

  private Map<String, String> parseLabels() {
    Map<String, String> parsed = new LinkedHashMap<>();
    for (String label : labels) {
      int eq = label.indexOf('=');
      if (eq <= 0) {
        throw usage("--label", label, "expected key=value");
      }
      parsed.put(label.substring(0, eq), label.substring(eq + 1));
    }
    return parsed;
  }

  /** A usage error that names the flag and says what would be right. */
  private ParameterException usage(String flag, String value, String why) {
    return new ParameterException(spec.commandLine(), "invalid " + flag + " \"" + value + "\": " + why);
  }
}
