package io.rpull.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ArgumentConvertersTest {
  @Test
  void goDurations() {
    assertEquals(Duration.ofSeconds(90), GoDuration.parse("1m30s"));
    assertEquals(Duration.ofMillis(1500), GoDuration.parse("1.5s"));
    assertEquals(Duration.ofHours(2), GoDuration.parse("2h"));
    assertEquals(Duration.ZERO, GoDuration.parse("0"));
    assertThrows(CommandLine.TypeConversionException.class, () -> GoDuration.parse("10"));
    assertThrows(CommandLine.TypeConversionException.class, () -> GoDuration.parse("5 minutes"));
  }

  @Test
  void byteSizes() {
    ByteSize sizes = new ByteSize();
    assertEquals(8 << 20, sizes.convert("8MiB"));
    assertEquals(512 << 10, sizes.convert("512k"));
    assertEquals(4096, sizes.convert("4096"));
    assertThrows(CommandLine.TypeConversionException.class, () -> sizes.convert("lots"));
    assertThrows(CommandLine.TypeConversionException.class, () -> sizes.convert("4G"));
  }
}
