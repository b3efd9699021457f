package io.rpull.cli;

import java.util.Locale;
import picocli.AutoComplete;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine;

/** {@code --completion bash|zsh|fish}: a completion script for the shell, generated from the command itself. */
final class Completion {
  static final String SHELLS = "bash, zsh or fish";

  private Completion() {}

  static String script(String shell, CommandLine command) {
    return switch (shell.toLowerCase(Locale.ROOT)) {
      case "bash" -> AutoComplete.bash("rpull", command);
      // picocli's bash script is written to run under zsh's bash-compatible completion.
      case "zsh" -> "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n"
          + AutoComplete.bash("rpull", command);
      case "fish" -> fish(command);
      default -> throw new IllegalArgumentException(shell);
    };
  }

  static boolean supports(String shell) {
    return switch (shell.toLowerCase(Locale.ROOT)) {
      case "bash", "zsh", "fish" -> true;
      default -> false;
    };
  }

  private static String fish(CommandLine command) {
    StringBuilder b = new StringBuilder("# rpull completion for fish: rpull --completion fish | source\n");
    b.append("complete -c rpull -e\n");
    for (OptionSpec option : command.getCommandSpec().options()) {
      if (option.hidden()) {
        continue;
      }
      b.append("complete -c rpull");
      for (String name : option.names()) {
        if (name.startsWith("--")) {
          b.append(" -l ").append(name.substring(2));
        } else if (name.startsWith("-")) {
          b.append(" -s ").append(name.substring(1));
        }
      }
      if (option.arity().max() > 0) {
        b.append(" -r");
      }
      String description = option.description().length == 0 ? "" : option.description()[0];
      description = description.replaceAll("\\s*Default: \\$\\{DEFAULT-VALUE}\\s*", "").replace("'", "\\'");
      b.append(" -d '").append(description).append("'\n");
    }
    return b.toString();
  }
}
