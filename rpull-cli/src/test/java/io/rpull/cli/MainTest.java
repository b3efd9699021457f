package io.rpull.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Command-line behaviour that needs no daemon: bad input fails before any I/O, with one line. */
class MainTest {
  private static final String MISSING_SOCKET = "/nonexistent/containerd.sock";
  /** A registry port nothing listens on: a bad flag must fail before anything would find that out. */
  private static int closedPort;

  @TempDir
  static Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeAll
  static void findClosedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
  }

  private int run(String... args) {
    return Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  private static String ref() {
    return "127.0.0.1:" + closedPort + "/x:y";
  }

  @Test
  void invalidReference_isAUsageError_beforeConnecting() {
    int code = run("-a", MISSING_SOCKET, "NOT/a/Valid:ref");
    assertEquals(ExitCode.USAGE.code, code);
    assertTrue(err.toString().startsWith("ctr: parse \"NOT/a/Valid:ref\""), err.toString());
    assertEquals("", out.toString());
  }

  @Test
  void missingReference_isAUsageError() {
    assertEquals(ExitCode.USAGE.code, run());
    assertTrue(err.toString().startsWith("ctr: "), err.toString());
  }

  @Test
  void unreachableContainerd_isAContainerdError() {
    int code = run("-a", MISSING_SOCKET, ref());
    assertEquals(ExitCode.CONTAINERD.code, code);
    assertTrue(err.toString().contains(MISSING_SOCKET), err.toString());
  }

  @Test
  void help_listsTheExitCodes() {
    assertEquals(0, run("--help"));
    assertTrue(out.toString().contains("--download-blobs"));
    assertTrue(out.toString().contains("Exit codes:"));
    for (ExitCode c : ExitCode.values()) {
      assertTrue(out.toString().contains(c.meaning), c.name());
    }
  }

  static List<List<String>> badFlags() throws IOException {
    Path directory = Files.createDirectories(dir.resolve("a-directory"));
    List<List<String>> cases = new ArrayList<>();
    cases.add(List.of("--concurrency", "0"));
    cases.add(List.of("--chunk-size", "1"));
    cases.add(List.of("--chunk-size", "1GiB"));
    cases.add(List.of("--chunks-per-blob", "0"));
    cases.add(List.of("--max-connections", "0"));
    cases.add(List.of("--max-connections", "many"));
    cases.add(List.of("--platform", "foo"));
    cases.add(List.of("--timeout", "banana"));
    cases.add(List.of("--from-file", dir.resolve("no-such-list").toString()));
    cases.add(List.of("--from-file", directory.toString()));
    cases.add(List.of("--tlscacert", dir.resolve("no-such-ca.crt").toString()));
    cases.add(List.of("--namespace", "not a namespace"));
    cases.add(List.of("--namespace", "-leading-dash"));
    cases.add(List.of("--label", "novalue"));
    cases.add(List.of("--output", "yaml"));
    cases.add(List.of("--completion", "powershell"));
    return cases;
  }

  @ParameterizedTest
  @MethodSource("badFlags")
  void badFlagValue_exits2_withOneLineNamingTheFlag_andContactsNothing(List<String> flag) {
    List<String> args = new ArrayList<>(List.of("-a", MISSING_SOCKET));
    args.addAll(flag);
    args.add(ref());

    int code = run(args.toArray(String[]::new));

    String stderr = err.toString();
    assertEquals(ExitCode.USAGE.code, code, stderr);
    assertEquals(1, stderr.lines().count(), "one line: " + stderr);
    assertTrue(stderr.startsWith("ctr: "), stderr);
    assertTrue(stderr.contains(flag.get(0)), "names " + flag.get(0) + ": " + stderr);
    // Neither the (missing) containerd socket nor the (closed) registry port was reached for.
    assertFalse(stderr.contains(MISSING_SOCKET) || stderr.contains(String.valueOf(closedPort)), stderr);
    assertFalse(stderr.matches("(?s).*\\b(java|javax|picocli)\\.[a-z]+\\..*|.*Exception.*"), "no Java names: " + stderr);
    assertEquals("", out.toString());
  }

  @Test
  void completion_coversBashZshAndFish() {
    assertEquals(0, run("--completion", "bash"));
    assertTrue(out.toString().contains("complete -F"), "a bash completion function");
    out.getBuffer().setLength(0);
    assertEquals(0, run("--completion", "zsh"));
    assertTrue(out.toString().contains("bashcompinit"));
    out.getBuffer().setLength(0);
    assertEquals(0, run("--completion", "fish"));
    assertTrue(out.toString().contains("complete -c rpull -l download-blobs"), out.toString());
    assertTrue(out.toString().contains("complete -c rpull -s n -l namespace -r"), out.toString());
  }

  @Test
  void batchOfOnlyMalformedLines_isAUsageError_namingEachLine_andContactsNothing() throws IOException {
    Path list = Files.writeString(dir.resolve("bad-refs.txt"), "# comment\nNOT/a/Valid:ref\n\nalso not valid\n");
    int code = run("-a", MISSING_SOCKET, "--output", "json", "--from-file", list.toString());
    assertEquals(ExitCode.USAGE.code, code);
    List<String> results = out.toString().lines().filter(l -> l.contains("\"event\":\"result\"")).toList();
    assertEquals(2, results.size(), out.toString());
    assertTrue(results.get(0).contains("line 2 of " + list), results.get(0));
    assertTrue(results.get(1).contains("line 4 of " + list), results.get(1));
    assertTrue(results.stream().allMatch(r -> r.contains("\"failure\":\"usage\"")), results.toString());
  }
}
