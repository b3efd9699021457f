package io.rpull.engine;

import io.rpull.types.Digest;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * One download of a blob at a time across the processes of a node (command lines pulling without
 * an agent, and the agent): a lock file per digest under a runtime directory. The locks are the
 * kernel's ({@code fcntl}), so a process that dies, even by {@code kill -9}, releases its locks
 * and the next waiter takes over; no stale lock is ever left to clean up. The files themselves
 * stay (empty; the directory is on tmpfs and cleared at boot): deleting a lock file while another
 * process opens it would let two processes hold "the" lock.
 */
public interface NodeLocks {
  /** A held lock; closing releases it. */
  interface Held extends AutoCloseable {
    @Override
    void close();
  }

  /** Waits until no other process downloads {@code blob}. */
  Held lock(Digest blob) throws IOException;

  /** No coordination beyond this process. */
  static NodeLocks none() {
    return blob -> () -> {};
  }

  /**
   * Where every rpull process of the node keeps its blob locks: {@code $RPULL_RUNTIME_DIR}, else
   * {@code /run/rpull} for root (where rpulld keeps its sockets), else {@code $XDG_RUNTIME_DIR/rpull},
   * each with {@code blob-locks} appended.
   */
  static Path defaultDirectory(java.util.Map<String, String> environment) {
    String configured = environment.getOrDefault("RPULL_RUNTIME_DIR", "");
    Path runtime;
    if (!configured.isEmpty()) {
      runtime = Path.of(configured);
    } else if (Files.isWritable(Path.of("/run"))) {
      runtime = Path.of("/run/rpull");
    } else if (!environment.getOrDefault("XDG_RUNTIME_DIR", "").isEmpty()) {
      runtime = Path.of(environment.get("XDG_RUNTIME_DIR"), "rpull");
    } else {
      runtime = Path.of(System.getProperty("java.io.tmpdir"), "rpull-" + System.getProperty("user.name"));
    }
    return runtime.resolve("blob-locks");
  }

  /** Lock files under {@code directory}, made (0700) when first needed. */
  static NodeLocks in(Path directory) {
    return new LockFiles(directory);
  }

  /** Lock files in a directory. */
  final class LockFiles implements NodeLocks {
    private static final long POLL_MILLIS = 50;
    private final Path directory;

    private LockFiles(Path directory) {
      this.directory = directory;
    }

    @Override
    public Held lock(Digest blob) throws IOException {
      if (!Files.isDirectory(directory)) {
        Files.createDirectories(directory,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      Path file = directory.resolve(blob.algorithm() + "-" + blob.hex() + ".lock");
      FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      try {
        while (true) {
          FileLock lock = tryLock(channel);
          if (lock != null) {
            return () -> {
              try (channel) {
                lock.release();
              } catch (IOException e) {
                // Closing the channel releases the lock as well.
              }
            };
          }
          try {
            Thread.sleep(POLL_MILLIS); // FileChannel.lock() cannot be interrupted without closing the channel
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while another process downloads " + blob);
          }
        }
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
    }

    private static FileLock tryLock(FileChannel channel) throws IOException {
      try {
        return channel.tryLock();
      } catch (OverlappingFileLockException e) {
        return null; // another thread of this process holds it (only without the in-process lock)
      }
    }
  }
}
