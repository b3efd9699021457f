package io.rpull.cli;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** One row of the fault matrix: a fault spec for the front, how to pull, and what must come out. */
final class FaultCase {
  /** The matrix's groups, as docs/reliability.md lists them. */
  enum Group {
    NETWORK,
    AUTH,
    CONTAINERD,
    PROCESS,
    BAD_INPUT
  }

  /** Runs the case's pull (or pulls) and reports the one whose outcome the case is about. */
  @FunctionalInterface
  interface Runner {
    TestEnv.Run run(Context ctx) throws Exception;
  }

  /** Checks what is particular to a case, after its run. */
  @FunctionalInterface
  interface Check {
    void check(Context ctx, TestEnv.Run run) throws Exception;
  }

  final Group group;
  final String name;
  final String spec;
  int exit;
  String says;
  boolean rerun = true;
  boolean plainHttp = true;
  boolean sharesNamespace;
  /** The first run's -u: "right", "wrong" or "none"; reruns of a case with auth use the right ones. */
  String credentials = "none";
  String snapshotter = "overlaybd";
  List<String> args = List.of();
  Map<String, String> env = Map.of();
  Function<Context, String> ref = ctx -> FaultFront.host("main") + "/" + ctx.image().repository() + ":v1";
  Runner runner = Context::rpull;
  Check check = (ctx, run) -> {};

  private FaultCase(Group group, String name, String spec) {
    this.group = group;
    this.name = name;
    this.spec = spec;
  }

  static FaultCase of(Group group, String name, String spec) {
    return new FaultCase(group, name, spec);
  }

  /** A fault on requests for {@code match} (manifest, config, layer0, layer1, layer, blob, any). */
  static String fault(String match, String action, String more) {
    return "{\"match\":\"" + match + "\",\"action\":\"" + action + "\"" + (more.isEmpty() ? "" : "," + more) + "}";
  }

  /** An obd image with these faults. */
  static String faults(String... faults) {
    return "{\"image\":\"obd\",\"faults\":[" + String.join(",", faults) + "]}";
  }

  FaultCase fails(int code, String says) {
    this.exit = code;
    this.says = says;
    return this;
  }

  FaultCase args(String... more) {
    this.args = List.of(more);
    return this;
  }

  FaultCase env(Map<String, String> env) {
    this.env = env;
    return this;
  }

  FaultCase credentials(String which) {
    this.credentials = which;
    return this;
  }

  FaultCase noRerun() {
    this.rerun = false;
    return this;
  }

  FaultCase overHttps() {
    this.plainHttp = false;
    return this;
  }

  FaultCase ref(Function<Context, String> ref) {
    this.ref = ref;
    return this;
  }

  FaultCase runs(Runner runner) {
    this.runner = runner;
    return this;
  }

  FaultCase checks(Check check) {
    this.check = check;
    return this;
  }

  FaultCase snapshotter(String name) {
    this.snapshotter = name;
    return this;
  }

  FaultCase sharingNamespace() {
    this.sharesNamespace = true;
    return this;
  }

  /** One run of a case: its image, namespace and start. */
  record Context(FaultCase c, FaultFront.Created image, String namespace, Instant started) {
    String ref() {
      return c.ref.apply(this);
    }

    /** The case's first command line into {@code ns}. */
    List<String> command(String ns, String... extra) {
      return commandWith(ns, c.credentials, extra);
    }

    /** The command line of a rerun or a clean pull: the faults are gone, the credentials right. */
    List<String> healthyCommand(String ns) {
      return commandWith(ns, c.spec.contains("\"auth\"") ? "right" : "none");
    }

    private List<String> commandWith(String ns, String credentials, String... extra) {
      List<String> a = new ArrayList<>(List.of("-a", TestEnv.containerd(), "-n", ns, "--download-blobs"));
      if (credentials.equals("right")) {
        a.addAll(List.of("-u", image.user() + ":" + image.password()));
      } else if (credentials.equals("wrong")) {
        a.addAll(List.of("-u", image.user() + ":not-the-password-5521"));
      }
      if (c.plainHttp) {
        a.add("--plain-http");
      }
      if (!c.snapshotter.equals("overlaybd")) {
        a.addAll(List.of("--snapshotter", c.snapshotter));
      }
      a.addAll(c.args);
      a.addAll(List.of(extra));
      a.add(ref());
      return TestEnv.rpullCommand(a.toArray(String[]::new));
    }

    TestEnv.Run rpull(String... extra) throws Exception {
      return TestEnv.run(command(namespace, extra), c.env);
    }

    /** The rerun, or a clean pull into another namespace. */
    TestEnv.Run rerunInto(String ns) throws Exception {
      return TestEnv.run(healthyCommand(ns), c.env);
    }

    Process start(String... extra) throws Exception {
      return TestEnv.process(command(namespace, extra), c.env).start();
    }
  }
}
