package io.rpull.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * Names a process on this node so that another process can later tell whether it is still
 * running: boot, pid and the process's start time (a pid alone is reused). Written on the leases
 * a pull makes, so that the next pull of the image can take over what a killed one left.
 */
final class ProcessOwner {
  private static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");

  private ProcessOwner() {}

  /** This process: {@code <boot id>/<pid>/<start time in ms>}. */
  static String current() {
    ProcessHandle self = ProcessHandle.current();
    return bootId() + "/" + self.pid() + "/" + self.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
  }

  /**
   * Whether {@code owner} names a process that has certainly ended: this node booted since, or no
   * process with that pid and start time runs. Anything unreadable counts as running.
   */
  static boolean hasEnded(String owner) {
    String[] parts = owner.split("/");
    if (parts.length != 3) {
      return false;
    }
    if (!parts[0].equals(bootId())) {
      return !bootId().isEmpty();
    }
    try {
      long pid = Long.parseLong(parts[1]);
      long started = Long.parseLong(parts[2]);
      Optional<ProcessHandle> process = ProcessHandle.of(pid);
      return process.isEmpty() || process.get().info().startInstant()
          .map(s -> s.toEpochMilli() != started).orElse(false);
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static String bootId() {
    try {
      return Files.readString(BOOT_ID).strip();
    } catch (IOException e) {
      return "";
    }
  }
}
