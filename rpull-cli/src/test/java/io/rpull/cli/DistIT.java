package io.rpull.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What {@code make dist} makes, on this machine: the Debian package installed with dpkg, run without
 * any Java on the machine, its unit's command line started by hand, then removed; and the
 * container image run by the test containerd itself, pulling into that containerd as the
 * warm-pull DaemonSet does on a node.
 */
class DistIT {
  private static final String PACKAGE = "rpull";
  private static final Path CONFIG = Path.of("/etc/rpull/rpulld.toml");
  private static final Path UNIT = Path.of("/lib/systemd/system/rpulld.service");
  /** Every JDK of the machine: a private mount namespace hides them under an empty tmpfs. */
  private static final String WITHOUT_JAVA = "[ ! -d /usr/lib/jvm ] || mount -t tmpfs tmpfs /usr/lib/jvm; "
      + "unset JAVA_HOME; if command -v java; then echo 'java is still on PATH' >&2; exit 99; fi; exec \"$@\"";

  private static Path debianPackage() throws IOException {
    Path target = TestEnv.projectRoot().resolve("dist/target");
    try (Stream<Path> files = Files.list(target)) {
      return files.filter(f -> f.getFileName().toString().matches("rpull_.*\\.deb")).findFirst()
          .orElseThrow(() -> new IllegalStateException("no package in " + target + ": run dist/build (make test does)"));
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IllegalStateException("no " + target + ": run dist/build (make test does)", e);
    }
  }

  private static TestEnv.Run sh(String... command) throws Exception {
    return TestEnv.run(List.of(command), Map.of());
  }

  /** {@code command} in a private mount namespace where no JDK of the machine can be found. */
  private static List<String> withoutJava(String... command) {
    List<String> line = new ArrayList<>(List.of("unshare", "--mount", "sh", "-c", WITHOUT_JAVA, "sh"));
    line.addAll(List.of(command));
    return line;
  }

  private static TestEnv.Run runWithoutJava(String... command) throws Exception {
    return TestEnv.run(withoutJava(command), Map.of());
  }

  private static boolean installed() throws Exception {
    return sh("dpkg-query", "-W", "-f=${Status}", PACKAGE).stdout().contains("install ok installed");
  }

  private static String headCommit() throws Exception {
    TestEnv.Run head = TestEnv.run(List.of("git", "-C", TestEnv.projectRoot().toString(), "rev-parse", "--short=12",
        "HEAD"), Map.of());
    assertEquals(0, head.exitCode(), head.toString());
    return head.stdout().strip();
  }

  @Test
  void thePackage_installs_runsWithoutJava_startsTheUnitsCommand_andRemovesWhatItInstalled() throws Exception {
    assertFalse(installed(), "the rpull package is already installed on this machine; remove it (dpkg -P rpull) first:"
        + " this test installs and removes it");
    Path deb = debianPackage();
    try {
      TestEnv.Run install = sh("dpkg", "-i", deb.toString());
      assertEquals(0, install.exitCode(), install.toString());
      // What the package holds (its files and links; directories such as /lib may be the system's).
      List<Path> files = new ArrayList<>();
      for (String line : sh("dpkg-deb", "--contents", deb.toString()).stdout().split("\n")) {
        String[] fields = line.strip().split("\\s+");
        if (fields.length >= 6 && fields[0].charAt(0) != 'd') {
          files.add(Path.of(fields[5].substring(1)));
        }
      }
      for (String expected : List.of("/usr/bin/rpull", "/usr/bin/rpulld", UNIT.toString(), CONFIG.toString(),
          "/usr/share/man/man1/rpull.1.gz", "/usr/share/man/man8/rpulld.8.gz",
          "/usr/share/bash-completion/completions/rpull", "/usr/share/bash-completion/completions/rpulld",
          "/usr/share/fish/vendor_completions.d/rpull.fish", "/usr/lib/rpull/runtime/bin/java")) {
        assertTrue(files.contains(Path.of(expected)), expected + " is not in the package: " + files);
      }
      // The man pages render without warnings; bash completes a flag.
      Map<String, String> pages = Map.of("/usr/share/man/man1/rpull.1.gz", "EXIT STATUS",
          "/usr/share/man/man8/rpulld.8.gz", "--print-config");
      for (Map.Entry<String, String> page : pages.entrySet()) {
        TestEnv.Run man = TestEnv.run(List.of("man", "--warnings", "-l", page.getKey()), Map.of("MANWIDTH", "100"));
        assertEquals(0, man.exitCode(), man.toString());
        assertEquals("", man.stderr(), man.toString());
        assertTrue(man.stdout().contains(page.getValue()), man.toString());
      }
      TestEnv.Run complete = sh("bash", "-c", "source /usr/share/bash-completion/completions/rpull;"
          + " COMP_WORDS=(rpull --download-b); COMP_CWORD=1; COMP_LINE='rpull --download-b'; COMP_POINT=18;"
          + " _complete_rpull; echo \"${COMPREPLY[@]}\"");
      assertEquals("--download-blobs", complete.stdout().strip(), complete.toString());

      // --version from a shell with no java anywhere: the package's own runtime runs it.
      TestEnv.Run version = runWithoutJava("rpull", "--version");
      assertEquals(0, version.exitCode(), version.toString());
      assertTrue(version.stdout().strip().matches("rpull \\S+ \\(commit " + headCommit() + "(, modified)?\\)"),
          version.toString());
      // The class-data archive a user may record; removal must take it too.
      assertEquals(0, runWithoutJava("env", "RPULL_CDS_DUMP=1", "rpull", "--no-agent", "--version").exitCode());
      assertTrue(Files.exists(Path.of("/usr/lib/rpull/lib/rpull-all.jsa")));

      startTheUnitsCommandAndPullThroughIt();

      TestEnv.Run remove = sh("dpkg", "-r", PACKAGE);
      assertEquals(0, remove.exitCode(), remove.toString());
      for (Path file : files) {
        assertEquals(file.equals(CONFIG), Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS),
            file + (file.equals(CONFIG) ? " (the config file) must be kept" : " must be gone"));
      }
      assertFalse(Files.exists(Path.of("/usr/lib/rpull")), "/usr/lib/rpull must be gone");
      assertTrue(Files.readString(CONFIG).contains(TestEnv.containerd()), "the edited config is kept as it was");

      TestEnv.Run purge = sh("dpkg", "-P", PACKAGE);
      assertEquals(0, purge.exitCode(), purge.toString());
      assertFalse(Files.exists(CONFIG.getParent()), "purge removes /etc/rpull");
    } finally {
      if (installed() || Files.exists(CONFIG)) {
        sh("dpkg", "-P", PACKAGE);
      }
    }
  }

  /**
   * The unit's ExecStart, run as systemd would run it (no systemctl here), after the edit an operator
   * makes to /etc/rpull/rpulld.toml: this node's containerd, and (for the test) sockets of its own.
   */
  private void startTheUnitsCommandAndPullThroughIt() throws Exception {
    String execStart = Files.readAllLines(UNIT).stream().filter(l -> l.startsWith("ExecStart=")).findFirst()
        .orElseThrow().substring("ExecStart=".length());
    assertEquals("/usr/bin/rpulld --config " + CONFIG, execStart);
    Path sockets = Files.createTempDirectory("rpull-dist-it");
    String config = Files.readString(CONFIG);
    Files.writeString(CONFIG, config
        .replace("address = \"/run/containerd/containerd.sock\"", "address = \"" + TestEnv.containerd() + "\"")
        .replace("cri = \"/run/rpull/cri.sock\"", "cri = \"" + sockets.resolve("cri.sock") + "\"")
        .replace("agent = \"/run/rpull/agent.sock\"", "agent = \"" + sockets.resolve("agent.sock") + "\"")
        .replace("address = \"127.0.0.1:9347\"", "address = \"\""));
    assertTrue(Files.readString(CONFIG).contains(sockets.toString()), "the default config names the sockets");
    Path log = sockets.resolve("rpulld.log");
    Process rpulld = new ProcessBuilder(withoutJava(execStart.split(" "))).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    try {
      Path agentSocket = sockets.resolve("agent.sock");
      TestEnv.Run pull = null;
      // rpulld is up when its agent socket answers; a pull through it proves it.
      for (int attempt = 0; attempt < 300 && rpulld.isAlive(); attempt++) {
        if (Files.exists(agentSocket)) {
          String ns = TestEnv.namespace("dist-unit");
          pull = TestEnv.run(List.of("/usr/bin/rpull", "--agent-socket", agentSocket.toString(), "-a",
              TestEnv.containerd(), "-n", ns, "--plain-http", "--download-blobs", TestEnv.image("OBD")), Map.of());
          assertEquals(0, pull.exitCode(), pull + "\n--- rpulld\n" + Files.readString(log));
          assertTrue(Files.readString(log).contains("namespace=" + ns), "the pull ran in rpulld:\n" + Files.readString(log));
          break;
        }
        rpulld.waitFor(100, TimeUnit.MILLISECONDS);
      }
      assertTrue(pull != null, "rpulld did not come up:\n" + Files.readString(log));
      assertTrue(Files.readString(log).contains("serving"), Files.readString(log));
      rpulld.destroy();
      assertTrue(rpulld.waitFor(2, TimeUnit.MINUTES));
      // systemd counts 143 as clean: the unit says SuccessExitStatus=143.
      assertEquals(143, rpulld.exitValue(), Files.readString(log));
      assertTrue(Files.readString(log).contains("rpulld stopped"), Files.readString(log));
      assertTrue(Files.readString(UNIT).contains("SuccessExitStatus=143"));
    } finally {
      rpulld.destroyForcibly();
    }
  }

  @Test
  void theImage_runByContainerd_withTheHostsSocketAndRootsMounted_pullsIntoTheHostsContainerd() throws Exception {
    String image = TestEnv.get("RPULL_IMAGE_DIST_RPULL");
    String runNs = TestEnv.namespace("dist-run");
    String targetNs = TestEnv.namespace("dist-target");
    String wanted = TestEnv.image("DIST");
    // containerd's socket, its root and the snapshotter's root: one directory here, as /var/lib/containerd
    // (content store and overlaybd's default root) is on a node. Same paths inside as outside.
    Path containerdDir = Path.of(TestEnv.containerd()).getParent();
    List<Path> before = OverlaybdPullIT.snapshotDirs();

    // --local: the client fetches (containerd 1.6 has no transfer service for ctr 2.x to use).
    TestEnv.Run fetch = plainCtr(runNs, "images", "pull", "--local", "--plain-http", image);
    assertEquals(0, fetch.exitCode(), fetch.toString());
    // As deploy/kubernetes runs it: host network, read-only root, a tmpfs /tmp, /run/rpull shared.
    Path runtimeDir = Files.createTempDirectory("rpull-dist-run");
    // (The test containerd lives under /tmp: its mount goes over the tmpfs, so after it.)
    TestEnv.Run run = plainCtr(runNs, "run", "--rm", "--net-host", "--read-only",
        "--mount", "type=tmpfs,src=tmpfs,dst=/tmp,options=nosuid:nodev:size=64m",
        "--mount", "type=bind,src=" + containerdDir + ",dst=" + containerdDir + ",options=rbind:rw",
        "--mount", "type=bind,src=" + runtimeDir + ",dst=/run/rpull,options=rbind:rw",
        image, TestEnv.namespace("rpull"),
        "rpull", "-a", TestEnv.containerd(), "-n", targetNs, "--plain-http", "--download-blobs", wanted);
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(run.stdout().strip().endsWith("done"), run.toString());

    TestEnv.Run check = TestEnv.ctr(targetNs, "images", "check");
    assertTrue(check.stdout().contains(wanted) && check.stdout().contains("complete (3/3)"), check.toString());
    List<Path> ours = new ArrayList<>(OverlaybdPullIT.snapshotDirs());
    ours.removeAll(before);
    Set<String> layers = TestEnv.layerSizes("rpull/dist", "v1").keySet();
    assertEquals(layers.size(), ours.size(), "snapshots the container's pull made: " + ours);
    for (Path dir : ours) {
      Path commit = dir.resolve("fs/overlaybd.commit");
      assertTrue(layers.contains(OverlaybdPullIT.sha256(commit)), commit + " is one of the image's layers");
      // Hard-linked from the content store (a copy has one link): each byte written once, from inside
      // the container too. Earlier pulls of the image in other namespaces hold more links.
      assertTrue(((Number) Files.getAttribute(commit, "unix:nlink")).intValue() >= 2, commit + " is a copy");
    }
  }

  /** The test containerd's ctr with its own default snapshotter, as a node runs a DaemonSet's image. */
  private static TestEnv.Run plainCtr(String namespace, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(TestEnv.get("RPULL_CTR"), "-a", TestEnv.containerd(), "-n",
        namespace));
    command.addAll(List.of(args));
    return TestEnv.run(command, Map.of());
  }
}
