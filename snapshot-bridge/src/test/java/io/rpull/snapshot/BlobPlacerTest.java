package io.rpull.snapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.rpull.containerd.BlobRef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobPlacerTest {
  @TempDir
  Path dir;

  private static BlobRef refOf(byte[] content) throws Exception {
    return new BlobRef("layer", "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content)),
        content.length);
  }

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
}
