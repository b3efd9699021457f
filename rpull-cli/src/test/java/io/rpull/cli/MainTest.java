package io.rpull.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** Command-line behaviour that needs no daemon: it must fail before any I/O. */
class MainTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  @Test
  void invalidReference_isAUsageError_beforeConnecting() {
    int code = run("-a", "/nonexistent/containerd.sock", "NOT/a/Valid:ref");
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
    int code = run("-a", "/nonexistent/containerd.sock", "127.0.0.1:1/x:y");
    assertEquals(ExitCode.CONTAINERD.code, code);
    assertTrue(err.toString().contains("/nonexistent/containerd.sock"), err.toString());
  }

  @Test
  void help_listsTheExitCodes() {
    assertEquals(0, run("--help"));
    assertTrue(out.toString().contains("--download-blobs"));
    assertTrue(out.toString().contains("Exit codes:"));
  }

  @Test
  void badLabel_isAUsageError() {
    assertEquals(ExitCode.USAGE.code, run("--label", "novalue", "127.0.0.1:1/x:y"));
  }
}
