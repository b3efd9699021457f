package io.rpull.snapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rpull.types.Descriptor;
import io.rpull.types.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobPlacerTest {
  @TempDir
  Path dir;

  private static Descriptor refOf(byte[] content) {
    return Descriptor.of("application/vnd.oci.image.layer.v1.tar", Digest.sha256Of(content), content.length);
  }

  /** Where a hard link is impossible (another filesystem), as Files.createLink reports it. */
  private static final BlobPlacer NO_LINKS = new BlobPlacer((link, existing) -> {
    throw new java.nio.file.FileSystemException(link.toString(), existing.toString(), "Invalid cross-device link");
  });

  @Test
  void sameFilesystem_hardLinksTheBlob_noSecondCopy() throws Exception {
    byte[] content = "tar bytes".getBytes();
    Path blob = Files.write(dir.resolve("blob"), content);
    Path fs = Files.createDirectory(dir.resolve("fs"));
    assertEquals(BlobPlacer.Method.HARD_LINK, new BlobPlacer().place(blob, refOf(content), fs));
    Path placed = fs.resolve(BlobPlacer.COMMIT_FILE);
    assertEquals(Files.getAttribute(blob, "unix:ino"), Files.getAttribute(placed, "unix:ino"));
    assertArrayEquals(content, Files.readAllBytes(placed));
    assertFalse(Files.exists(fs.resolve(BlobPlacer.TEMP_FILE)));
  }

  @Test
  void placingAgain_replacesAtomically() throws Exception {
    byte[] content = "v2".getBytes();
    Path blob = Files.write(dir.resolve("blob"), content);
    Path fs = Files.createDirectory(dir.resolve("fs"));
    Files.writeString(fs.resolve(BlobPlacer.COMMIT_FILE), "stale");
    Files.writeString(fs.resolve(BlobPlacer.TEMP_FILE), "half-written by a killed run");
    new BlobPlacer().place(blob, refOf(content), fs);
    assertArrayEquals(content, Files.readAllBytes(fs.resolve(BlobPlacer.COMMIT_FILE)));
  }

  @Test
  void missingBlob_fails() throws Exception {
    Path fs = Files.createDirectory(dir.resolve("fs"));
    assertThrows(IOException.class, () -> new BlobPlacer().place(dir.resolve("absent"), refOf(new byte[1]), fs));
    assertFalse(Files.exists(fs.resolve(BlobPlacer.COMMIT_FILE)));
  }

  @Test
  void linkImpossible_copiesTheBlob_andTheCopyIsVerified() throws Exception {
    byte[] content = "layer tar bytes".getBytes();
    Path blob = Files.write(dir.resolve("blob"), content);
    Path fs = Files.createDirectory(dir.resolve("fs"));
    assertEquals(BlobPlacer.Method.COPY, NO_LINKS.place(blob, refOf(content), fs));
    Path placed = fs.resolve(BlobPlacer.COMMIT_FILE);
    assertArrayEquals(content, Files.readAllBytes(placed));
    assertNotEquals(Files.getAttribute(blob, "unix:ino"), Files.getAttribute(placed, "unix:ino"));
    assertFalse(Files.exists(fs.resolve(BlobPlacer.TEMP_FILE)));
  }

  @Test
  void linkImpossible_andTheBlobFileDoesNotMatchItsDigest_nothingIsPlaced() throws Exception {
    byte[] content = "what the descriptor says".getBytes();
    Path blob = Files.write(dir.resolve("blob"), "what the file holds".getBytes());
    Path fs = Files.createDirectory(dir.resolve("fs"));
    IOException e = assertThrows(IOException.class, () -> NO_LINKS.place(blob, refOf(content), fs));
    assertTrue(e.getMessage().contains("does not verify"), e.getMessage());
    assertFalse(Files.exists(fs.resolve(BlobPlacer.COMMIT_FILE)));
    assertFalse(Files.exists(fs.resolve(BlobPlacer.TEMP_FILE)));
  }
}
