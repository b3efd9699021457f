package io.rpull.snapshot;

import io.rpull.types.Descriptor;
import io.rpull.types.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Puts a committed blob where overlaybd reads a downloaded layer: {@code <fs>/overlaybd.commit}.
 * overlaybd-tcmu reads the tar-wrapped blob as it is, so the content store's file is hard-linked
 * (no second write); a copy, verified against the digest, is the fallback across filesystems.
 */
public final class BlobPlacer {
  public static final String COMMIT_FILE = "overlaybd.commit";
  /** Not ".download": overlaybd's own background downloader uses that name. */
  static final String TEMP_FILE = ".rpull-overlaybd.commit";

  /** How the blob got there. */
  public enum Method {
    HARD_LINK,
    COPY
  }

  /** Makes a hard link; a seam so that the copy fallback is tested where links work. */
  @FunctionalInterface
  interface Linker {
    void link(Path link, Path existing) throws IOException;
  }

  private final Linker linker;

  public BlobPlacer() {
    this(Files::createLink);
  }

  BlobPlacer(Linker linker) {
    this.linker = linker;
  }

  /** Places {@code blobFile} (the committed blob) as {@code fsDir/overlaybd.commit}. */
  public Method place(Path blobFile, Descriptor blob, Path fsDir) throws IOException {
    Path temp = fsDir.resolve(TEMP_FILE);
    Files.deleteIfExists(temp);
    Method method;
    try {
      linker.link(temp, blobFile);
      method = Method.HARD_LINK;
    } catch (FileSystemException | UnsupportedOperationException e) {
      copyVerified(blobFile, blob, temp);
      method = Method.COPY;
    }
    Files.move(temp, fsDir.resolve(COMMIT_FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    syncDirectory(fsDir);
    return method;
  }

  private static void copyVerified(Path source, Descriptor blob, Path target) throws IOException {
    MessageDigest sha256 = Digest.newSha256();
    try (InputStream in = new DigestInputStream(Files.newInputStream(source), sha256);
        FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      long copied = in.transferTo(java.nio.channels.Channels.newOutputStream(out));
      out.force(true);
      Digest actual = new Digest("sha256", HexFormat.of().formatHex(sha256.digest()));
      if (copied != blob.size() || !actual.equals(blob.digest())) {
        Files.deleteIfExists(target);
        throw new IOException("copy of " + blob.digest() + " to " + target + " does not verify (" + copied
            + " bytes, " + actual + ")");
      }
    }
  }

  private static void syncDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }
}
