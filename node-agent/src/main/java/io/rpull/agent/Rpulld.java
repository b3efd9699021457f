package io.rpull.agent;

import io.rpull.cli.BuildInfo;
import io.rpull.cli.Main;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code rpulld}: the node agent. Reads its config file and flags, serves the CRI image service
 * and the agent socket until SIGTERM, then drains.
 */
public final class Rpulld {
  static final Path DEFAULT_CONFIG = Path.of("/etc/rpull/rpulld.toml");
  private static final int USAGE = 2;

  private Rpulld() {}

  public static void main(String[] args) {
    Main.quietUnixSocketWarnings();
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    CommandSpec spec = spec();
    CommandLine cli = new CommandLine(spec);
    ParseResult parsed;
    try {
      parsed = cli.parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      err.println("rpulld: " + e.getMessage());
      return USAGE;
    }
    if (parsed.isUsageHelpRequested()) {
      cli.usage(out);
      return 0;
    }
    if (parsed.isVersionHelpRequested()) {
      out.println("rpulld " + BuildInfo.of(Rpulld.class).describe());
      return 0;
    }
    if (parsed.hasMatchedOption("--print-config")) {
      out.print(ConfigKeys.defaultFile());
      return 0;
    }
    AgentConfig config;
    try {
      config = new AgentSettings(configFile(parsed), flags(parsed)).resolve();
    } catch (ConfigException e) {
      err.println("rpulld: " + e.getMessage());
      return USAGE;
    }
    NodeAgent agent;
    try {
      agent = NodeAgent.start(config, err, version());
    } catch (IOException | RuntimeException e) {
      err.println("rpulld: cannot start: " + io.rpull.engine.Failures.classify(e).message());
      if (parsed.hasMatchedOption("--debug")) {
        e.printStackTrace(err);
      }
      return 1;
    }
    err.println("msg=\"rpulld " + BuildInfo.of(Rpulld.class).describe() + " serving\" cri=" + config.criSocket()
        + " agent=" + config.agentSocket() + " containerd=" + config.containerdAddress() + " namespace="
        + config.namespace() + " snapshotter=" + config.snapshotter() + " metrics="
        + config.metricsAddress().map(Object::toString).orElse("off"));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      agent.drain();
      agent.close();
      err.println("msg=\"rpulld stopped\"");
      stopped.countDown();
    }, "rpulld-drain"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  public static CommandSpec spec() {
    CommandSpec spec = CommandSpec.create().name("rpulld").mixinStandardHelpOptions(true);
    spec.usageMessage().description("The rpull node agent: serves kubelet's CRI image service (full, verified"
        + " pulls through rpull's engine) and the rpull command line's agent socket.",
        "Settings come from the config file, then flags; rpulld --print-config shows every key.");
    spec.addOption(OptionSpec.builder("--config").paramLabel("file").type(Path.class)
        .description("Config file (TOML). Default: " + DEFAULT_CONFIG + " if it exists").build());
    spec.addOption(OptionSpec.builder("--print-config").description("Print the default config, documented").build());
    spec.addOption(OptionSpec.builder("--debug").description("Stack traces of start-up failures").build());
    for (ConfigKeys.Key key : ConfigKeys.ALL) {
      spec.addOption(OptionSpec.builder(key.flag()).paramLabel("value").type(String.class)
          .description(key.meaning() + " ([" + key.section() + "] " + key.name() + "; default \""
              + key.defaultValue() + "\")").build());
    }
    return spec;
  }

  private static Map<String, String> configFile(ParseResult parsed) {
    Path file = parsed.matchedOptionValue("--config", null);
    if (file == null) {
      return Files.exists(DEFAULT_CONFIG) ? ConfigFile.read(DEFAULT_CONFIG) : Map.of();
    }
    return ConfigFile.read(file);
  }

  private static Map<String, String> flags(ParseResult parsed) {
    Map<String, String> flags = new LinkedHashMap<>();
    for (ConfigKeys.Key key : ConfigKeys.ALL) {
      String value = parsed.matchedOptionValue(key.flag(), null);
      if (value != null) {
        flags.put(key.path(), value);
      }
    }
    return flags;
  }

  static String version() {
    return BuildInfo.versionOf(Rpulld.class);
  }
}
