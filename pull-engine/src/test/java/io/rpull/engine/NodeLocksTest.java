package io.rpull.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rpull.types.Digest;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Blob locks shared with other processes, and taken over when their holder is killed. */
class NodeLocksTest {
  @TempDir
  Path dir;

  @Test
  void aLockHeldByAnotherProcess_isWaitedFor_andTakenOverWhenThatProcessIsKilled() throws Exception {
    Digest blob = Digest.sha256Of(new byte[] {1});
    NodeLocks locks = NodeLocks.in(dir.resolve("blob-locks"));
    locks.lock(blob).close(); // makes the directory and the file
    Path file = dir.resolve("blob-locks").resolve("sha256-" + blob.hex() + ".lock");
    assertTrue(Files.exists(file));
    // Another process takes the same kind of lock (fcntl), as a second rpull would.
    Process other = new ProcessBuilder("python3", "-c", "import fcntl, sys\n"
        + "f = open(sys.argv[1], 'w'); fcntl.lockf(f, fcntl.LOCK_EX); print('locked', flush=True); sys.stdin.read()",
        file.toString()).start();
    try {
      assertEquals("locked", new BufferedReader(new InputStreamReader(other.getInputStream())).readLine());
      CompletableFuture<NodeLocks.Held> waiting = new CompletableFuture<>();
      Thread waiter = new Thread(() -> {
        try {
          waiting.complete(locks.lock(blob));
        } catch (java.io.IOException | RuntimeException e) {
          waiting.completeExceptionally(e);
        }
      }, "node-locks-waiter");
      waiter.start();
      // The waiter sleeps between attempts only after finding the lock taken: wait for that, not for a time.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (waiter.getState() != Thread.State.TIMED_WAITING && !waiting.isDone() && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertFalse(waiting.isDone(), "must wait while the other process holds the lock");
      assertEquals(Thread.State.TIMED_WAITING, waiter.getState(), "the waiter found the lock taken and waits");

      other.destroyForcibly().waitFor();

      try (NodeLocks.Held held = waiting.get(30, TimeUnit.SECONDS)) {
        assertTrue(held != null, "the killed process's lock is taken over");
      }
    } finally {
      other.destroyForcibly();
    }
  }

  @Test
  void theDefaultDirectory_followsRpullRuntimeDir() {
    assertEquals(Path.of("/tmp/x/blob-locks"), NodeLocks.defaultDirectory(Map.of("RPULL_RUNTIME_DIR", "/tmp/x")));
  }
}
