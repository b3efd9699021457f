package io.rpull.cli;

import static io.rpull.cli.FaultCase.Group.AUTH;
import static io.rpull.cli.FaultCase.Group.BAD_INPUT;
import static io.rpull.cli.FaultCase.Group.CONTAINERD;
import static io.rpull.cli.FaultCase.Group.NETWORK;
import static io.rpull.cli.FaultCase.Group.PROCESS;
import static io.rpull.cli.FaultCase.fault;
import static io.rpull.cli.FaultCase.faults;
import static io.rpull.cli.FaultCase.of;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The rows of the fault matrix; docs/reliability.md is this table in prose. */
final class FaultCases {
  private FaultCases() {}

  private static final int NETWORK_ERROR = ExitCode.NETWORK.code;
  private static final int AUTH_ERROR = ExitCode.AUTH.code;
  private static final int VERIFICATION = ExitCode.VERIFICATION.code;
  private static final int CONTAINERD_ERROR = ExitCode.CONTAINERD.code;
  private static final int USAGE = ExitCode.USAGE.code;
  private static final int NOT_FOUND = ExitCode.NOT_FOUND.code;

  static List<FaultCase> all() {
    List<FaultCase> all = new ArrayList<>();
    all.addAll(network());
    all.addAll(auth());
    all.addAll(containerd());
    all.addAll(process());
    all.addAll(badInput());
    return all;
  }

  // --- network ------------------------------------------------------------------------------------

  static List<FaultCase> network() {
    List<FaultCase> cases = new ArrayList<>();
    for (String doc : List.of("manifest", "config")) {
      cases.add(of(NETWORK, doc + ": connection reset", faults(fault(doc, "reset", ""))));
      cases.add(of(NETWORK, doc + ": body cut after 10 bytes", faults(fault(doc, "cut", "\"offset\":10"))));
      cases.add(of(NETWORK, doc + ": body shorter than Content-Length", faults(fault(doc, "short", "\"offset\":50"))));
      cases.add(of(NETWORK, doc + ": 429 without Retry-After, twice",
          faults(fault(doc, "status", "\"code\":429,\"times\":2"))));
      cases.add(of(NETWORK, doc + ": 429 with Retry-After: 1", faults(fault(doc, "status", "\"code\":429,\"retry_after\":1"))));
      cases.add(of(NETWORK, doc + ": 503 twice", faults(fault(doc, "status", "\"code\":503,\"times\":2"))));
    }
    cases.add(of(NETWORK, "manifest: 408", faults(fault("manifest", "status", "\"code\":408"))));
    cases.add(of(NETWORK, "manifest: 500", faults(fault("manifest", "status", "\"code\":500"))));
    cases.add(of(NETWORK, "layer: reset before the body", faults(fault("layer1", "reset", ""))));
    cases.add(of(NETWORK, "layer: cut at 1 MiB, resumed", faults(fault("layer1", "cut", "\"offset\":1048576"))));
    cases.add(of(NETWORK, "layer: both chunks cut after 100 bytes",
        faults(fault("layer1", "cut", "\"offset\":100,\"times\":2"))));
    cases.add(of(NETWORK, "layer: stall mid-body past the stall timeout, resumed",
        faults(fault("layer1", "stall", "\"offset\":65536,\"seconds\":4"))).args("--stall-timeout", "1s"));
    cases.add(of(NETWORK, "layer: 500 twice", faults(fault("layer1", "status", "\"code\":500,\"times\":2"))));
    cases.add(of(NETWORK, "layer: 408", faults(fault("layer1", "status", "\"code\":408"))));
    cases.add(of(NETWORK, "layer: 429 with Retry-After: 1", faults(fault("layer1", "status", "\"code\":429,\"retry_after\":1"))));
    cases.add(of(NETWORK, "layer: Range ignored (200 with the whole blob)",
        faults(fault("layer1", "ignore_range", "\"times\":-1"))));
    cases.add(of(NETWORK, "layer: wrong Content-Range", faults(fault("layer1", "bad_range", "")))
        .fails(VERIFICATION, "but got Content-Range"));
    cases.add(of(NETWORK, "layer: 206 without Content-Range", faults(fault("layer1", "no_content_range", "")))
        .fails(VERIFICATION, "Content-Range (none)"));
    cases.add(of(NETWORK, "layer: body longer than Content-Length", faults(fault("layer1", "long", "\"times\":2"))));
    cases.add(of(NETWORK, "layer: body shorter than Content-Length", faults(fault("layer0", "short", "\"offset\":1000"))));
    cases.add(of(NETWORK, "layer: redirect chain of three hops", faults(fault("layer1", "redirect", "\"hops\":3"))));
    cases.add(of(NETWORK, "layer: redirect loop", faults(fault("layer1", "redirect", "\"loop\":true,\"times\":-1")))
        .fails(NETWORK_ERROR, "too many redirects"));
    cases.add(of(NETWORK, "storm: 429 on every manifest request ends in bounded time",
        faults(fault("manifest", "status", "\"code\":429,\"times\":-1")))
        .fails(NETWORK_ERROR, "failed after 5 attempts"));
    cases.add(of(NETWORK, "storm: 503 with Retry-After on every layer request",
        faults(fault("layer1", "status", "\"code\":503,\"retry_after\":1,\"times\":-1")))
        .fails(NETWORK_ERROR, "503"));
    cases.add(of(NETWORK, "mirror down: falls back, says so in JSON and --http-trace", faults())
        .runs(ctx -> mirrorRun(ctx, "127.0.0.1:1", "-o", "json", "--http-trace"))
        .checks((ctx, run) -> {
          assertTrue(run.stdout().contains("\"event\":\"fallback\""), run.toString());
          assertTrue(run.stderr().contains("failed") && run.stderr().contains("trying " + FaultFront.host("main")),
              run.toString());
        }));
    cases.add(of(NETWORK, "mirror that never accepts a connection: connect timeout, fallback", faults())
        .runs(ctx -> mirrorRun(ctx, FaultFront.host("hole"), "--connect-timeout", "1s", "--debug"))
        .checks((ctx, run) -> assertTrue(run.stderr().contains("trying " + FaultFront.host("main")), run.toString())));
    cases.add(of(NETWORK, "mirror answering 500: fallback; mirrors get ns=<registry>",
        faults(fault("any", "status", "\"code\":500,\"times\":-1,\"listener\":\"alt\"")))
        .runs(ctx -> mirrorRun(ctx, FaultFront.host("alt")))
        .checks((ctx, run) -> {
          List<JsonNode> alt = FaultFront.requests(ctx.image().id()).stream()
              .filter(r -> r.path("listener").asText().equals("alt")).toList();
          assertFalse(alt.isEmpty(), "the mirror was asked");
          String ns = "ns=" + java.net.URLEncoder.encode(FaultFront.host("main"), StandardCharsets.UTF_8);
          alt.forEach(r -> assertEquals(ns, r.path("query").asText(), "containerd's ns= on a mirror request"));
          FaultFront.requests(ctx.image().id()).stream().filter(r -> r.path("listener").asText().equals("main"))
              .forEach(r -> assertEquals("", r.path("query").asText(), "no ns= to the registry itself"));
        }));
    cases.add(of(NETWORK, "loopback registry answering plain HTTP without --plain-http: falls back as containerd", faults())
        .overHttps());
    cases.add(of(NETWORK, "https server in hosts.toml answering plain HTTP: says --plain-http", faults())
        .overHttps()
        .runs(ctx -> TestEnv.run(ctx.command(ctx.namespace(), "--hosts-dir", hostsDir(ctx,
            "server = \"https://" + FaultFront.host("main") + "\"\n").toString()), Map.of()))
        .fails(NETWORK_ERROR, "--plain-http"));
    return cases;
  }

  /** The case's command with a hosts.toml that puts {@code mirror} before the registry. */
  private static TestEnv.Run mirrorRun(FaultCase.Context ctx, String mirror, String... extra) throws Exception {
    Path dir = hostsDir(ctx, "server = \"http://" + FaultFront.host("main") + "\"\n\n[host.\"http://" + mirror
        + "\"]\n  capabilities = [\"pull\", \"resolve\"]\n");
    List<String> more = new ArrayList<>(List.of("--hosts-dir", dir.toString()));
    more.addAll(List.of(extra));
    return TestEnv.run(ctx.command(ctx.namespace(), more.toArray(String[]::new)), Map.of());
  }

  private static Path hostsDir(FaultCase.Context ctx, String toml) throws Exception {
    Path dir = Files.createTempDirectory("rpull-hosts");
    Path host = Files.createDirectories(dir.resolve(FaultFront.host("main")));
    Files.writeString(host.resolve("hosts.toml"), toml);
    return dir;
  }

  // --- auth ----------------------------------------------------------------------------------------

  private static String auth(String json) {
    return "{\"image\":\"obd\",\"auth\":" + json + "}";
  }

  private static final String BEARER = "{\"type\":\"bearer\",\"realm\":\"alt\"}";

  static List<FaultCase> auth() {
    List<FaultCase> cases = new ArrayList<>();
    cases.add(of(AUTH, "Basic with the right credentials", auth("{\"type\":\"basic\"}")).credentials("right"));
    cases.add(of(AUTH, "Basic without credentials", auth("{\"type\":\"basic\"}"))
        .fails(AUTH_ERROR, "authentication failed for"));
    cases.add(of(AUTH, "Basic with a wrong password, never printed", auth("{\"type\":\"basic\"}"))
        .credentials("wrong").fails(AUTH_ERROR, "401 Unauthorized"));
    cases.add(of(AUTH, "Bearer, realm on another host and port", auth(BEARER)).credentials("right")
        .checks((ctx, run) -> {
          List<JsonNode> seen = FaultFront.requests(ctx.image().id());
          assertTrue(seen.stream().anyMatch(r -> r.path("kind").asText().equals("token")
              && r.path("listener").asText().equals("alt") && r.path("auth").asText().startsWith("Basic ")));
          assertTrue(seen.stream().filter(r -> r.path("kind").asText().equals("blobs"))
              .allMatch(r -> r.path("auth").asText().startsWith("Bearer ") || r.path("auth").isNull()));
        }));
    cases.add(of(AUTH, "Bearer, anonymous token", auth("{\"type\":\"bearer\",\"realm\":\"alt\",\"anonymous\":true}"))
        .checks((ctx, run) -> assertTrue(FaultFront.requests(ctx.image().id()).stream()
            .filter(r -> r.path("kind").asText().equals("token")).allMatch(r -> r.path("auth").isNull()))));
    cases.add(of(AUTH, "Bearer, the token service refuses", auth("{\"type\":\"bearer\",\"realm\":\"alt\","
        + "\"refuse_token\":true}")).credentials("right").noRerun().fails(AUTH_ERROR, "refused the credentials"));
    cases.add(of(AUTH, "Bearer, wrong password", auth(BEARER)).credentials("wrong")
        .fails(AUTH_ERROR, "refused the credentials"));
    cases.add(of(AUTH, "Bearer, token expires mid-pull and is renewed",
        auth("{\"type\":\"bearer\",\"realm\":\"alt\",\"expire_after\":2}")).credentials("right")
        .checks((ctx, run) -> assertTrue(FaultFront.tokens(ctx.image().id()).size() >= 2)));
    cases.add(of(AUTH, "Bearer, token service checks the scope",
        auth("{\"type\":\"bearer\",\"realm\":\"alt\",\"check_scope\":true}")).credentials("right"));
    cases.add(of(AUTH, "Bearer, scope given in the challenge",
        auth("{\"type\":\"bearer\",\"realm\":\"alt\",\"check_scope\":true,\"scope_in_challenge\":true}"))
        .credentials("right"));
    cases.add(of(AUTH, "Bearer, realm over TLS trusted with --tlscacert",
        auth("{\"type\":\"bearer\",\"realm\":\"tls\"}")).credentials("right")
        .args("--tlscacert", TestEnv.get("RPULL_CA_CERT")));
    cases.add(of(AUTH, "Bearer, realm over TLS with an untrusted certificate",
        auth("{\"type\":\"bearer\",\"realm\":\"tls\"}")).credentials("right").noRerun()
        .fails(NETWORK_ERROR, "TLS verification failed"));
    cases.add(of(AUTH, "Bearer, http realm for an https registry is refused", auth(BEARER)).credentials("right")
        .overHttps().args("--tlscacert", TestEnv.get("RPULL_CA_CERT"))
        .ref(ctx -> FaultFront.host("tls") + "/" + ctx.image().repository() + ":v1").noRerun()
        .fails(AUTH_ERROR, "asked for credentials over plain http"));
    cases.add(of(AUTH, "Basic, blob redirected to another host gets no credentials",
        "{\"image\":\"obd\",\"auth\":{\"type\":\"basic\"},\"faults\":[" + fault("layer1", "redirect",
            "\"other_host\":true,\"times\":-1,\"listener\":\"main\"") + "]}").credentials("right")
        .checks((ctx, run) -> {
          List<JsonNode> alt = FaultFront.requests(ctx.image().id()).stream()
              .filter(r -> r.path("listener").asText().equals("alt")).toList();
          assertFalse(alt.isEmpty(), "the blob came from the other host");
          alt.forEach(r -> assertTrue(r.path("auth").isNull(), "credentials sent to another host: " + r));
        }));
    cases.add(of(AUTH, "docker config.json credentials for this registry", auth("{\"type\":\"basic\"}"))
        .runs(ctx -> TestEnv.run(ctx.command(ctx.namespace()), dockerConfig("{\"auths\":{\"" + FaultFront.host("main")
            + "\":{\"auth\":\"" + java.util.Base64.getEncoder().encodeToString((ctx.image().user() + ":"
            + ctx.image().password()).getBytes(StandardCharsets.UTF_8)) + "\"}}}", null))));
    cases.add(of(AUTH, "credentials for another host are never sent here", auth("{\"type\":\"basic\"}"))
        .runs(ctx -> TestEnv.run(ctx.command(ctx.namespace()), dockerConfig("{\"auths\":{\"" + FaultFront.host("alt")
            + "\":{\"auth\":\"" + java.util.Base64.getEncoder().encodeToString((ctx.image().user() + ":"
            + ctx.image().password()).getBytes(StandardCharsets.UTF_8)) + "\"}}}", null)))
        .fails(AUTH_ERROR, "authentication failed for")
        .checks((ctx, run) -> assertTrue(FaultFront.requests(ctx.image().id()).stream()
            .allMatch(r -> r.path("auth").isNull()), "no Authorization reached the registry")));
    cases.add(of(AUTH, "credential helper that fails", auth("{\"type\":\"basic\"}"))
        .runs(ctx -> TestEnv.run(ctx.command(ctx.namespace()), dockerConfig("{\"credHelpers\":{\""
            + FaultFront.host("main") + "\":\"rpullfault\"}}", "echo 'helper broke' >&2; exit 1")))
        .fails(AUTH_ERROR, "credential helper \"rpullfault\" failed"));
    cases.add(of(AUTH, "credential helper that hangs", auth("{\"type\":\"basic\"}"))
        .runs(ctx -> TestEnv.run(ctx.command(ctx.namespace()), dockerConfig("{\"credHelpers\":{\""
            + FaultFront.host("main") + "\":\"rpullfault\"}}", "exec sleep 60")))
        .fails(AUTH_ERROR, "did not answer within"));
    return cases;
  }

  /** An environment whose docker config is {@code json}, with a credential helper running {@code helper}. */
  private static Map<String, String> dockerConfig(String json, String helper) throws Exception {
    Path dir = Files.createTempDirectory("rpull-docker");
    Files.writeString(dir.resolve("config.json"), json);
    if (helper == null) {
      return Map.of("DOCKER_CONFIG", dir.toString());
    }
    Path script = dir.resolve("docker-credential-rpullfault");
    Files.writeString(script, "#!/bin/sh\n" + helper + "\n");
    script.toFile().setExecutable(true);
    return Map.of("DOCKER_CONFIG", dir.toString(), "PATH", dir + ":" + System.getenv("PATH"));
  }

  // --- containerd ----------------------------------------------------------------------------------

  static List<FaultCase> containerd() {
    List<FaultCase> cases = new ArrayList<>();
    cases.add(of(CONTAINERD, "socket that does not exist", faults())
        .runs(ctx -> withAddress(ctx, Path.of("/run/rpull-test-no-such.sock")))
        .fails(CONTAINERD_ERROR, "does not exist"));
    cases.add(of(CONTAINERD, "stale socket of a crashed containerd", faults())
        .runs(ctx -> {
          Path socket = Files.createTempDirectory("rpull-stale").resolve("containerd.sock");
          try (var server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            server.bind(java.net.UnixDomainSocketAddress.of(socket));
          }
          return withAddress(ctx, socket);
        })
        .fails(CONTAINERD_ERROR, "connection refused (a stale socket"));
    cases.add(of(CONTAINERD, "address that is not a socket", faults())
        .runs(ctx -> withAddress(ctx, Files.createTempFile("rpull-not-a", ".sock")))
        .fails(CONTAINERD_ERROR, "not a socket"));
    cases.add(of(CONTAINERD, "socket this user may not use", faults())
        .runs(ctx -> TestEnv.run(asNobody(ctx.command(ctx.namespace())), Map.of()))
        .fails(CONTAINERD_ERROR, "permission denied"));
    cases.add(of(CONTAINERD, "commit mismatch once: refetched", faults(fault("layer1", "corrupt", ""))));
    cases.add(of(CONTAINERD, "commit mismatch every time: refused, no ingest left",
        faults(fault("layer1", "corrupt", "\"times\":-1")))
        .fails(VERIFICATION, "digest")
        .checks((ctx, run) -> assertEquals("", TestEnv.ctr(ctx.namespace(), "content", "active").stdout().lines()
            .skip(1).filter(l -> !l.isBlank()).reduce("", String::concat), "no ingest left behind")));
    cases.add(of(CONTAINERD, "config that does not match its digest", faults(fault("config", "corrupt", "\"times\":-1")))
        .fails(VERIFICATION, "does not match its descriptor"));
    cases.add(of(CONTAINERD, "garbage collection during the pull",
        faults(fault("layer1", "stall", "\"offset\":65536,\"seconds\":3")))
        .runs(ctx -> whileStalled(ctx, "layer1", pull -> {
          String gc = TestEnv.namespace("fm-gc");
          String lease = TestEnv.ctr(gc, "leases", "create").stdout().strip();
          assertEquals(0, TestEnv.ctr(gc, "leases", "delete", "--sync", lease).exitCode(), "a synchronous GC ran");
        })));
    cases.add(of(CONTAINERD, "containerd restarted mid-pull", faults(fault("layer1", "stall",
        "\"offset\":65536,\"seconds\":6")))
        .runs(ctx -> whileStalled(ctx, "layer1", pull -> restartContainerd()))
        .fails(CONTAINERD_ERROR, null));
    cases.add(of(CONTAINERD, "two pulls of the image into one namespace at once (ALREADY_EXISTS races)", faults())
        .sharingNamespace()
        .runs(ctx -> {
          Process other = ctx.start();
          TestEnv.Run mine = ctx.rpull();
          assertTrue(other.waitFor(120, TimeUnit.SECONDS));
          assertEquals(0, other.exitValue(), "the other pull succeeds too");
          return mine;
        }));
    cases.add(of(CONTAINERD, "full pull after a lazy rpull makes every layer local", faults())
        .runs(ctx -> {
          assertEquals(0, TestEnv.run(lazy(ctx), Map.of()).exitCode());
          return ctx.rpull();
        })
        .checks((ctx, run) -> assertNoRemoteLayer(ctx)));
    cases.add(of(CONTAINERD, "full pull after a lazy ctr rpull makes every layer local", faults())
        .runs(ctx -> {
          TestEnv.Run lazy = TestEnv.ctr(ctx.namespace(), "rpull", "--plain-http", ctx.ref());
          assertEquals(0, lazy.exitCode(), lazy.toString());
          return ctx.rpull();
        })
        .checks((ctx, run) -> assertNoRemoteLayer(ctx)));
    cases.add(of(CONTAINERD, "a lazily registered layer another image builds on cannot be made local: says which",
        "{\"image\":\"obd-pair\"}")
        .runs(ctx -> {
          // A lazy pull of v2 (v1's layers and one more) puts v2's top snapshot on v1's top.
          List<String> v2 = lazy(ctx);
          v2.set(v2.size() - 1, v2.get(v2.size() - 1).replace(":v1", ":v2"));
          assertEquals(0, TestEnv.run(v2, Map.of()).exitCode());
          return ctx.rpull();
        })
        .fails(CONTAINERD_ERROR, "cannot be made local")
        .checks((ctx, run) -> {
          // Remove v2, which holds the layer: then the rerun can make v1's layers local.
          String v2Top = topChainId(ctx);
          assertEquals(0, TestEnv.ctr(ctx.namespace(), "images", "rm", ctx.ref().replace(":v1", ":v2")).exitCode());
          TestEnv.Run rm = TestEnv.ctr(ctx.namespace(), "snapshots", "--snapshotter", "overlaybd", "rm", v2Top);
          // images rm schedules a garbage collection, which may remove the snapshot first.
          assertTrue(rm.exitCode() == 0 || rm.stderr().contains("not found"), rm.toString());
        }));
    return cases;
  }

  private static TestEnv.Run withAddress(FaultCase.Context ctx, Path address) throws Exception {
    List<String> command = new ArrayList<>(ctx.command(ctx.namespace()));
    command.set(command.indexOf(TestEnv.containerd()), address.toString());
    return TestEnv.run(command, Map.of());
  }

  /** The command run as nobody, who may not use containerd's root-only socket. */
  private static List<String> asNobody(List<String> command) {
    List<String> wrapped = new ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
    wrapped.addAll(command);
    return wrapped;
  }

  /** The case's pull without --download-blobs: overlaybd layers registered lazily. */
  private static List<String> lazy(FaultCase.Context ctx) {
    List<String> command = new ArrayList<>(ctx.command(ctx.namespace()));
    command.remove("--download-blobs");
    return command;
  }

  private static String topChainId(FaultCase.Context ctx) throws Exception {
    // The chain's top is the one snapshot no other snapshot of the namespace has as parent.
    List<String[]> rows = OverlaybdPullIT.snapshotTable(ctx.namespace()).stream().map(r -> r.split("\\s+")).toList();
    java.util.Set<String> parents = new java.util.HashSet<>();
    rows.forEach(r -> parents.add(r.length > 2 ? r[1] : ""));
    return rows.stream().map(r -> r[0]).filter(n -> !parents.contains(n)).findFirst().orElseThrow();
  }

  private static void assertNoRemoteLayer(FaultCase.Context ctx) throws Exception {
    Map<String, String> labels = OverlaybdPullIT.snapshotLabels(ctx.namespace());
    assertEquals(2, labels.size(), labels.toString());
    labels.forEach((name, l) -> {
      assertFalse(l.contains("containerd.io/snapshot/remote"), "still remote: " + name + " " + l);
      assertTrue(l.contains("download-remote-blob"), name + " " + l);
    });
  }

  /** Starts the case's pull, runs {@code action} while the front stalls its {@code role}, and waits for the pull. */
  private static TestEnv.Run whileStalled(FaultCase.Context ctx, String role, WithPull action)
      throws Exception {
    Path out = Files.createTempFile("rpull-fm", ".out");
    Path err = Files.createTempFile("rpull-fm", ".err");
    Process pull = TestEnv.process(ctx.command(ctx.namespace()), ctx.c().env)
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    try {
      FaultMatrixIT.awaitRequest(ctx.image(), role, pull);
      action.run(pull);
      assertTrue(pull.waitFor(120, TimeUnit.SECONDS), "the pull ends");
      return new TestEnv.Run(pull.exitValue(), Files.readString(out), Files.readString(err));
    } finally {
      pull.destroyForcibly();
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  @FunctionalInterface
  interface WithPull {
    void run(Process pull) throws Exception;
  }

  /** Stops the test containerd by its pid and lets testenv/up start it again with the same roots. */
  static void restartContainerd() throws Exception {
    String flavour = TestEnv.get("RPULL_CONTAINERD_FLAVOUR");
    Path pidFile = Path.of(TestEnv.get("RPULL_TESTENV_DIR"), "containerd-" + flavour, "containerd.pid");
    long pid = Long.parseLong(Files.readString(pidFile).strip());
    ProcessHandle.of(pid).ifPresent(p -> {
      p.destroy();
      p.onExit().join();
    });
    TestEnv.Run up = TestEnv.run(List.of(TestEnv.projectRoot().resolve("testenv/up").toString(), flavour), Map.of());
    assertEquals(0, up.exitCode(), up.stderr());
  }

  // --- process -------------------------------------------------------------------------------------

  static List<FaultCase> process() {
    List<FaultCase> cases = new ArrayList<>();
    for (String role : List.of("manifest", "config", "layer1")) {
      cases.add(of(PROCESS, "kill -9 while the " + role + " is being fetched",
          faults(fault(role, "stall", "\"offset\":" + (role.equals("layer1") ? 65536 : 10) + ",\"seconds\":30")))
          .runs(ctx -> signalWhen(ctx, role, "KILL")).fails(137, null));
    }
    cases.add(of(PROCESS, "SIGTERM mid-download", faults(fault("layer1", "stall", "\"offset\":65536,\"seconds\":30")))
        .runs(ctx -> signalWhen(ctx, "layer1", "TERM")).fails(143, "interrupted"));
    cases.add(of(PROCESS, "SIGINT mid-download", faults(fault("layer1", "stall", "\"offset\":65536,\"seconds\":30")))
        .runs(ctx -> signalWhen(ctx, "layer1", "INT")).fails(130, "interrupted"));
    for (int n : List.of(2, 8)) {
      cases.add(of(PROCESS, n + " processes in " + n + " namespaces at once download each blob once", faults())
          .runs(ctx -> {
            List<Process> others = new ArrayList<>();
            for (int i = 1; i < n; i++) {
              others.add(TestEnv.process(ctx.command(TestEnv.namespace("fm-fan")), Map.of())
                  .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
                  .start());
            }
            TestEnv.Run mine = ctx.rpull();
            for (Process p : others) {
              assertTrue(p.waitFor(120, TimeUnit.SECONDS));
              assertEquals(0, p.exitValue());
            }
            return mine;
          })
          .checks((ctx, run) -> {
            for (String layer : ctx.image().layers()) {
              long gets = FaultFront.requests(ctx.image().id()).stream()
                  .filter(r -> r.path("ref").asText().equals(layer) && r.path("method").asText().equals("GET"))
                  .count();
              // One GET per 4 MiB chunk: layer0 has one, layer1 two.
              assertTrue(gets <= 2, layer + " was fetched " + gets + " times by " + n + " processes");
            }
          }));
    }
    cases.add(of(PROCESS, "rpulld killed and restarted mid-pull: the client says so; a rerun completes",
        faults(fault("layer1", "stall", "\"offset\":65536,\"seconds\":30")))
        .env(TestEnv.agent())
        .runs(ctx -> whileStalled(ctx, "layer1", pull -> {
          // kill -9, not a stop: a stopping agent drains, and may finish the pull first.
          Path pidFile = Path.of(TestEnv.get("RPULL_TESTENV_DIR"), "rpulld", "rpulld.pid");
          ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip())).ifPresent(p -> {
            p.destroyForcibly();
            p.onExit().join();
          });
          Path script = TestEnv.projectRoot().resolve("testenv/rpulld");
          assertEquals(0, TestEnv.run(List.of(script.toString(), "start"), Map.of()).exitCode());
        }))
        .fails(CONTAINERD_ERROR, "rpulld"));
    return cases;
  }

  private static String mutated(String image, String how) {
    return "{\"image\":\"" + image + "\",\"mutate\":\"" + how + "\"}";
  }

  static List<FaultCase> badInput() {
    List<FaultCase> cases = new ArrayList<>();
    cases.add(of(BAD_INPUT, "reference with an upper-case repository", faults()).noRerun()
        .ref(ctx -> FaultFront.host("main") + "/F/Image:v1").fails(USAGE, "invalid reference"));
    cases.add(of(BAD_INPUT, "reference with a malformed digest", faults()).noRerun()
        .ref(ctx -> FaultFront.host("main") + "/" + ctx.image().repository() + "@sha256:xyz")
        .fails(USAGE, "invalid sha256 digest"));
    cases.add(of(BAD_INPUT, "reference with an empty tag", faults()).noRerun()
        .ref(ctx -> FaultFront.host("main") + "/" + ctx.image().repository() + ":").fails(USAGE, "invalid reference"));
    cases.add(of(BAD_INPUT, "manifest that is not JSON", mutated("obd", "not-json")).fails(VERIFICATION, null));
    cases.add(of(BAD_INPUT, "empty manifest", mutated("obd", "empty")).fails(VERIFICATION, null));
    cases.add(of(BAD_INPUT, "manifest over containerd's 4 MiB limit", mutated("obd", "oversized"))
        .fails(VERIFICATION, "larger than"));
    cases.add(of(BAD_INPUT, "ambiguous document (layers and manifests)", mutated("obd", "ambiguous"))
        .fails(VERIFICATION, null));
    cases.add(of(BAD_INPUT, "Docker schema 1 manifest", mutated("obd", "schema1"))
        .fails(ExitCode.FAILURE.code, "convert the image to schema 2 or OCI"));
    cases.add(of(BAD_INPUT, "manifest served with an index Content-Type", mutated("obd", "content-type-index"))
        .fails(VERIFICATION, "does not match Content-Type"));
    cases.add(of(BAD_INPUT, "Docker-Content-Digest that does not match", mutated("obd", "digest-header"))
        .fails(VERIFICATION, "does not match the content"));
    cases.add(of(BAD_INPUT, "pull by digest, served other bytes", mutated("obd", "not-json"))
        .ref(ctx -> FaultFront.host("main") + "/" + ctx.image().repository() + "@" + ctx.image().topDigest())
        .fails(VERIFICATION, "digest mismatch"));
    cases.add(of(BAD_INPUT, "layer with a negative size", mutated("obd", "negative-size")).fails(VERIFICATION, null));
    cases.add(of(BAD_INPUT, "layer with an absurd size (1 PiB)", mutated("obd", "absurd-size"))
        .fails(VERIFICATION, null));
    cases.add(of(BAD_INPUT, "layer one byte larger than its descriptor", mutated("obd", "short-size"))
        .fails(VERIFICATION, null));
    cases.add(of(BAD_INPUT, "layer with a malformed digest", mutated("obd", "bad-digest")).fails(VERIFICATION, null));
    // An overlaybd layer is known by its annotations, as the snapshotter knows it; the media type is not read.
    cases.add(of(BAD_INPUT, "overlaybd layer of an unknown media type", mutated("obd", "unknown-layer-type")));
    cases.add(of(BAD_INPUT, "image without layers", mutated("obd", "zero-layers")));
    cases.add(of(BAD_INPUT, "config that is not JSON", mutated("obd", "config-not-json")).fails(VERIFICATION, null));
    cases.add(of(BAD_INPUT, "layer whose content does not match the config's diffID", mutated("oci", "diffid-mismatch"))
        .fails(VERIFICATION, "diffID"));
    cases.add(of(BAD_INPUT, "config with more diffIDs than layers", mutated("oci", "diffid-count"))
        .fails(VERIFICATION, null));
    cases.add(of(BAD_INPUT, "index with only other platforms", "{\"image\":\"index-foreign\"}").noRerun()
        .fails(NOT_FOUND, "no match for platform"));
    cases.add(of(BAD_INPUT, "index with an attestation manifest", "{\"image\":\"attestation\"}"));
    cases.add(of(BAD_INPUT, "Docker schema 2 image", "{\"image\":\"docker\"}"));
    cases.add(of(BAD_INPUT, "zstd layer", "{\"image\":\"zstd\"}"));
    cases.add(of(BAD_INPUT, "plain OCI gzip image", "{\"image\":\"oci\"}"));
    return cases;
  }

  /** Starts the case's pull, waits until it asks for {@code role}, then sends {@code signal}. */
  static TestEnv.Run signalWhen(FaultCase.Context ctx, String role, String signal) throws Exception {
    return whileStalled(ctx, role, pull ->
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, String.valueOf(pull.pid())).start().waitFor()));
  }
}
