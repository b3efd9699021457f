package io.rpull.agent;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * The agent's socket files: a stale one left by a dead rpulld is replaced, a live one refuses a
 * second agent, and each is root-only unless a group is configured (then 0660, that group's).
 */
final class SocketFiles {
  private final Optional<String> group;

  SocketFiles(Optional<String> group) {
    this.group = group;
  }

  /** Makes {@code socket}'s place ready for binding. */
  void prepare(Path socket) throws IOException {
    Files.createDirectories(socket.toAbsolutePath().getParent());
    if (!Files.exists(socket)) {
      return;
    }
    if (listening(socket)) {
      throw new IOException(socket + " is in use: another rpulld is running");
    }
    Files.delete(socket); // nobody listens: left by an agent that died
  }

  private static boolean listening(Path socket) {
    try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** After binding: who may connect. */
  void restrict(Path socket) throws IOException {
    if (group.isEmpty()) {
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
      return;
    }
    GroupPrincipal principal;
    try {
      principal = socket.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group.get());
    } catch (IOException e) {
      throw new IOException("socket group \"" + group.get() + "\" does not exist", e);
    }
    Files.getFileAttributeView(socket, PosixFileAttributeView.class).setGroup(principal);
    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
  }
}
