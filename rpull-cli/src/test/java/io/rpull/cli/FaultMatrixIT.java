package io.rpull.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The fault matrix (docs/reliability.md): each case pulls a fresh image through the fault front
 * ({@code testenv/faultfront.py}) into the real containerd, checks the exit code and the one line
 * the user reads, then the invariants that must hold after anything: every blob committed during
 * the case re-hashes to its digest; no image record unless the image is complete; no overlaybd
 * layer placed from a blob that does not verify; no credential in any output; no lease without
 * expiry. Then the faults are removed and the same command is run again: it must succeed, leave
 * no lease and no unfinished snapshot behind, and reach the state a clean pull reaches.
 */
class FaultMatrixIT {
  private static final Path CONTENT = Path.of(TestEnv.get("RPULL_CONTAINERD_ROOT"),
      "io.containerd.content.v1.content", "blobs", "sha256");

  @TestFactory
  Stream<DynamicTest> matrix() {
    // -Drpull.faults=<text> runs only the cases whose name contains it (while working on one).
    String only = System.getProperty("rpull.faults", "");
    return FaultCases.all().stream().filter(c -> c.name.contains(only)).map(c -> DynamicTest.dynamicTest(c.group + " / " + c.name, () -> run(c)));
  }

  @org.junit.jupiter.api.Test
  void everyCaseIsInDocsReliability_andTheMatrixHasAtLeast70() throws Exception {
    String doc = Files.readString(TestEnv.projectRoot().resolve("docs/reliability.md"));
    List<FaultCase> all = FaultCases.all();
    all.forEach(c -> assertTrue(doc.contains("| " + c.name + " |"), "docs/reliability.md lacks the row: " + c.name));
    assertTrue(all.size() >= 70, all.size() + " cases");
  }

  static void run(FaultCase c) throws Exception {
    FaultFront.Created image = FaultFront.create(c.spec);
    FaultCase.Context ctx = new FaultCase.Context(c, image, TestEnv.namespace("fm"),
        Instant.now());
    TestEnv.Run run = c.runner.run(ctx);
    assertEquals(c.exit, run.exitCode(), c.name + ": " + run);
    if (c.exit != 0 && c.says != null) {
      assertEquals(1, run.stderr().strip().lines().count(), "one line for the user: " + run);
      assertTrue(run.stderr().startsWith("ctr: "), run.toString());
      assertTrue(run.stderr().contains(c.says), "expected \"" + c.says + "\": " + run);
    }
    c.check.check(ctx, run);
    invariants(ctx, run, c.exit == 0);
    if (c.rerun) {
      FaultFront.clear(image.id());
      TestEnv.Run again = ctx.rerunInto(ctx.namespace());
      assertEquals(0, again.exitCode(), "the rerun after " + c.name + ": " + again);
      invariants(ctx, again, true);
      sameAsACleanPull(ctx);
    }
  }

  /** What must hold after any case, whatever its outcome. */
  static void invariants(FaultCase.Context ctx, TestEnv.Run run, boolean complete) throws Exception {
    // Every blob committed during the case re-hashes to its name.
    try (Stream<Path> blobs = Files.list(CONTENT)) {
      for (Path blob : blobs.filter(p -> modifiedSince(p, ctx.started())).toList()) {
        assertEquals("sha256:" + blob.getFileName(), OverlaybdPullIT.sha256(blob),
            "a committed blob that does not match its digest: " + blob);
      }
    }
    // No image record for an incomplete image.
    if (complete) {
      TestEnv.Run check = TestEnv.ctr(ctx.namespace(), "images", "check");
      List<String> rows = check.stdout().lines().skip(1).filter(l -> !l.isBlank()).toList();
      assertFalse(rows.isEmpty(), "a successful pull leaves an image record: " + check);
      rows.forEach(r -> assertTrue(r.contains("complete ("), "incomplete image recorded: " + r));
    } else {
      assertEquals("", OverlaybdPullIT.imageRow(ctx.namespace()), "no image record after a failed pull");
    }
    // No overlaybd layer placed from a blob that is not one of the image's verified layers.
    Set<String> layers = new HashSet<>(ctx.image().layers());
    for (Path dir : OverlaybdPullIT.snapshotDirs()) {
      Path commit = dir.resolve("fs").resolve("overlaybd.commit");
      if (Files.exists(commit) && modifiedSince(commit, ctx.started())) {
        String digest = OverlaybdPullIT.sha256(commit);
        assertTrue(layers.contains(digest), "a placed layer that is not a verified blob of the image: " + commit
            + " " + digest);
      }
    }
    // No credential in any output.
    List<String> secrets = new ArrayList<>(FaultFront.tokens(ctx.image().id()));
    secrets.add(ctx.image().password());
    secrets.add(Base64.getEncoder().encodeToString((ctx.image().user() + ":" + ctx.image().password())
        .getBytes(StandardCharsets.UTF_8)));
    for (String secret : secrets) {
      assertFalse(run.stdout().contains(secret) || run.stderr().contains(secret)
          || run.stdout().contains("not-the-password-5521") || run.stderr().contains("not-the-password-5521"),
          "a credential was printed: " + run);
    }
    // No lease without expiry; after a success, none of rpull's at all (a killed predecessor's taken over).
    List<String> leases = TestEnv.ctr(ctx.namespace(), "leases", "ls").stdout().lines().skip(1)
        .filter(l -> !l.isBlank()).toList();
    leases.forEach(l -> assertTrue(l.contains("containerd.io/gc.expire="), "a lease without expiry: " + l));
    if (complete && !ctx.c().sharesNamespace) {
      assertEquals(List.of(), leases, "a successful pull leaves no lease");
      assertTrue(OverlaybdPullIT.snapshotTable(ctx.namespace()).stream().noneMatch(r -> r.contains("Active")),
          "a successful pull leaves no unfinished snapshot: " + OverlaybdPullIT.snapshotTable(ctx.namespace()));
    }
  }

  /** The namespace looks as it does after a clean pull of the same image. */
  static void sameAsACleanPull(FaultCase.Context ctx) throws Exception {
    String clean = TestEnv.namespace("fm-clean");
    TestEnv.Run run = ctx.rerunInto(clean);
    assertEquals(0, run.exitCode(), "clean pull: " + run);
    String ns = ctx.namespace();
    // What a failed attempt committed and nothing references any more is garbage: collect it now.
    String lease = TestEnv.ctr(ns, "leases", "create").stdout().strip();
    assertEquals(0, TestEnv.ctr(ns, "leases", "delete", "--sync", lease).exitCode());
    assertEquals(OverlaybdPullIT.imageRow(clean), OverlaybdPullIT.imageRow(ns));
    assertEquals(OverlaybdPullIT.snapshotTable(clean, ctx.c().snapshotter),
        OverlaybdPullIT.snapshotTable(ns, ctx.c().snapshotter));
    assertEquals(OverlaybdPullIT.snapshotLabels(clean, ctx.c().snapshotter),
        OverlaybdPullIT.snapshotLabels(ns, ctx.c().snapshotter));
    assertEquals(OverlaybdPullIT.contentLabels(clean), OverlaybdPullIT.contentLabels(ns));
  }

  private static boolean modifiedSince(Path p, Instant since) {
    try {
      FileTime t = Files.getLastModifiedTime(p);
      return t.toInstant().isAfter(since);
    } catch (IOException e) {
      return false;
    }
  }

  /** Waits until the case's front saw a request for {@code role} ("manifest", "config", "layer1"). */
  static void awaitRequest(FaultFront.Created image, String role, Process pull) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    // The front holds each call until the request arrives or a second passes; between calls the pull must live.
    while (System.nanoTime() < deadline && pull.isAlive()) {
      if (FaultFront.asked(image.id(), role)) {
        return;
      }
    }
    throw new AssertionError("the pull never asked for its " + role + " (alive: " + pull.isAlive() + ")");
  }

}
