package io.rpull.agent.dist;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * A man page (troff, man macros) written from a command's own definition: the options, arguments,
 * descriptions and exit codes {@code --help} shows, so the page cannot drift from the command.
 */
record ManPage(CommandSpec command, int section, String summary, String source, List<String> seeAlso,
    Map<String, String> files) {

  String render() {
    String name = command.name();
    StringBuilder page = new StringBuilder();
    page.append(".TH ").append(name.toUpperCase(java.util.Locale.ROOT)).append(' ').append(section)
        .append(" \"\" \"").append(escape(source)).append("\" \"")
        .append(section == 8 ? "System Administration" : "User Commands").append("\"\n");
    page.append(".SH NAME\n").append(name).append(" \\- ").append(escape(summary)).append('\n');
    page.append(".SH SYNOPSIS\n.B ").append(name).append("\n[\\fIoptions\\fR]");
    for (PositionalParamSpec p : command.positionalParameters()) {
      page.append(" \\fI").append(escape(p.paramLabel())).append("\\fR").append(p.arity().max() > 1 ? "..." : "");
    }
    page.append("\n.SH DESCRIPTION\n");
    for (String line : command.usageMessage().description()) {
      page.append(text(line)).append("\n.PP\n");
    }
    if (!command.positionalParameters().isEmpty()) {
      page.append(".SH ARGUMENTS\n");
      for (PositionalParamSpec p : command.positionalParameters()) {
        page.append(".TP\n\\fI").append(escape(p.paramLabel())).append("\\fR\n").append(description(p)).append('\n');
      }
    }
    page.append(".SH OPTIONS\n");
    for (OptionSpec o : command.options()) {
      if (o.hidden()) {
        continue;
      }
      page.append(".TP\n").append(optionNames(o)).append('\n').append(description(o)).append('\n');
    }
    Map<String, String> exitCodes = command.usageMessage().exitCodeList();
    if (!exitCodes.isEmpty()) {
      page.append(".SH EXIT STATUS\n");
      exitCodes.forEach((code, meaning) -> page.append(".TP\n\\fB").append(escape(code.strip())).append("\\fR\n")
          .append(text(meaning)).append('\n'));
    }
    if (!files.isEmpty()) {
      page.append(".SH FILES\n");
      files.forEach((file, meaning) -> page.append(".TP\n\\fI").append(escape(file)).append("\\fR\n")
          .append(text(meaning)).append('\n'));
    }
    if (!seeAlso.isEmpty()) {
      page.append(".SH SEE ALSO\n").append(seeAlso.stream().map(ManPage::reference).collect(Collectors.joining(",\n")))
          .append('\n');
    }
    return page.toString();
  }

  private static String optionNames(OptionSpec o) {
    String names = java.util.Arrays.stream(o.names()).map(n -> "\\fB" + escape(n) + "\\fR")
        .collect(Collectors.joining(", "));
    return o.arity().max() > 0 ? names + "=\\fI" + escape(o.paramLabel()) + "\\fR" : names;
  }

  private static String description(ArgSpec arg) {
    return text(String.join(" ", arg.description()));
  }

  /** "rpulld(8)" as a man page reference. */
  private static String reference(String page) {
    int open = page.indexOf('(');
    return open < 0 ? "\\fB" + escape(page) + "\\fR" : "\\fB" + escape(page.substring(0, open)) + "\\fR" + page.substring(open);
  }

  /** Running text: picocli's %n line breaks become paragraph breaks; nothing is read as a macro. */
  private static String text(String s) {
    return java.util.Arrays.stream(s.split("%n", -1)).map(String::strip).filter(l -> !l.isEmpty())
        .map(ManPage::escape).map(l -> l.startsWith(".") || l.startsWith("'") ? "\\&" + l : l)
        .collect(Collectors.joining("\n.br\n"));
  }

  private static String escape(String s) {
    return s.replace("\\", "\\e").replace("-", "\\-");
  }
}
