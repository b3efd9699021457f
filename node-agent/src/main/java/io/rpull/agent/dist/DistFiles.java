package io.rpull.agent.dist;

import io.rpull.agent.Rpulld;
import io.rpull.cli.BuildInfo;
import io.rpull.cli.Main;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Files the package carries that are generated from the commands themselves, so they never drift
 * from them: {@code dist/build} runs {@code java -cp rpulld-all.jar io.rpull.agent.dist.DistFiles <file>}.
 * (rpull's completion is its own {@code --completion bash|fish}.)
 */
public final class DistFiles {
  private DistFiles() {}

  public static void main(String[] args) {
    System.exit(write(args, System.out, System.err));
  }

  static int write(String[] args, PrintStream out, PrintStream err) {
    String source = "rpull " + BuildInfo.versionOf(DistFiles.class);
    switch (args.length == 1 ? args[0] : "") {
      case "completion-rpulld" -> out.print(AutoComplete.bash("rpulld", new CommandLine(Rpulld.spec())));
      case "man-rpull" -> out.print(rpullPage(Main.described().getCommandSpec(), source).render());
      case "man-rpulld" -> out.print(rpulldPage(Rpulld.spec(), source).render());
      default -> {
        err.println("usage: DistFiles completion-rpulld|man-rpull|man-rpulld");
        return 2;
      }
    }
    return 0;
  }

  static ManPage rpullPage(CommandSpec spec, String source) {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("/run/rpull/agent.sock", "The node agent's socket: when it answers, the command runs there.");
    files.put("/etc/containerd/certs.d", "Registry hosts (hosts.toml), with --hosts-dir.");
    return new ManPage(spec, 1, "fast, verified image pulls into containerd (a drop-in for ctr rpull)", source,
        List.of("rpulld(8)", "ctr(8)", "containerd(8)"), files);
  }

  static ManPage rpulldPage(CommandSpec spec, String source) {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("/etc/rpull/rpulld.toml", "The configuration; rpulld --print-config shows every key and its default.");
    files.put("/run/rpull/cri.sock", "The CRI image service: kubelet's imageServiceEndpoint.");
    files.put("/run/rpull/agent.sock", "Where the rpull command hands its work over.");
    return new ManPage(spec, 8, "the rpull node agent: kubelet's CRI image service and the rpull command's agent",
        source, List.of("rpull(1)", "containerd(8)", "crictl(1)"), files);
  }
}
