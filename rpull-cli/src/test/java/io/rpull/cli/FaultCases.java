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
    return List.of();
  }

  // --- process -------------------------------------------------------------------------------------

  static List<FaultCase> process() {
    return List.of();
  }

  // --- bad input -----------------------------------------------------------------------------------

  static List<FaultCase> badInput() {
    return List.of();
  }

  /** Starts the case's pull, waits until it asks for {@code role}, then sends {@code signal}. */
  static TestEnv.Run signalWhen(FaultCase.Context ctx, String role, String signal) throws Exception {
    Path out = Files.createTempFile("rpull-fm", ".out");
    Path err = Files.createTempFile("rpull-fm", ".err");
    Process pull = TestEnv.process(ctx.command(ctx.namespace()), ctx.c().env)
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    try {
      FaultMatrixIT.awaitRequest(ctx.image(), role, pull);
      assertEquals(0, new ProcessBuilder("kill", "-" + signal, String.valueOf(pull.pid())).start().waitFor());
      assertTrue(pull.waitFor(60, TimeUnit.SECONDS), "the pull ends after SIG" + signal);
      return new TestEnv.Run(pull.exitValue(), Files.readString(out), Files.readString(err));
    } finally {
      pull.destroyForcibly();
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
