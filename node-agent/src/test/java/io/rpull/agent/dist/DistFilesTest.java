package io.rpull.agent.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rpull.agent.Rpulld;
import io.rpull.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

class DistFilesTest {
  private static final Set<String> MACROS = Set.of(".TH", ".SH", ".TP", ".PP", ".br", ".B");

  private static String write(String file) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(0, DistFiles.write(new String[] {file}, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8)), err.toString(StandardCharsets.UTF_8));
    return out.toString(StandardCharsets.UTF_8);
  }

  private static void assertEveryOptionIn(String page, CommandSpec spec) {
    for (OptionSpec option : spec.options()) {
      if (!option.hidden()) {
        for (String name : option.names()) {
          assertTrue(page.contains("\\fB" + name.replace("-", "\\-") + "\\fR"), name + " missing from the man page");
        }
      }
    }
  }

  private static void assertOnlyMacrosStartLines(String page) {
    for (String line : page.split("\n")) {
      if (line.startsWith(".") || line.startsWith("'")) {
        assertTrue(MACROS.contains(line.split(" ", 2)[0]), "text read as a macro: " + line);
      }
    }
  }

  @Test
  void rpullsManPageHasEveryOptionAndExitCode() {
    String page = write("man-rpull");
    assertTrue(page.startsWith(".TH RPULL 1 "), page);
    assertEveryOptionIn(page, Main.described().getCommandSpec());
    Main.described().getCommandSpec().usageMessage().exitCodeList()
        .forEach((code, meaning) -> assertTrue(page.contains(".TP\n\\fB" + code.strip() + "\\fR\n"), "exit " + code));
    assertOnlyMacrosStartLines(page);
  }

  @Test
  void rpulldsManPageHasEveryOptionAndItsFiles() {
    String page = write("man-rpulld");
    assertTrue(page.startsWith(".TH RPULLD 8 "), page);
    assertEveryOptionIn(page, Rpulld.spec());
    assertTrue(page.contains("/etc/rpull/rpulld.toml"));
    assertOnlyMacrosStartLines(page);
  }

  @Test
  void textThatLooksLikeAMacroIsEscaped() {
    CommandSpec spec = CommandSpec.create().name("x");
    spec.usageMessage().description(".SH not a heading", "- a hyphen\\backslash");
    String page = new ManPage(spec, 1, "x", "x 1", List.of(), Map.of()).render();
    assertTrue(page.contains("\\&.SH not a heading"), page);
    assertTrue(page.contains("\\- a hyphen\\ebackslash"), page);
  }

  @Test
  void rpulldsCompletionOffersItsFlags() {
    String rpulld = write("completion-rpulld");
    assertTrue(rpulld.contains("complete -F"), rpulld);
    assertTrue(rpulld.contains("--print-config") && rpulld.contains("--cri-socket"), rpulld);
  }

  @Test
  void anUnknownFileIsAUsageError() {
    assertEquals(2, DistFiles.write(new String[] {"readme"}, new PrintStream(new ByteArrayOutputStream()),
        new PrintStream(new ByteArrayOutputStream())));
  }
}
