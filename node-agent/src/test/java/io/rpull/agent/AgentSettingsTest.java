package io.rpull.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentSettingsTest {
  @TempDir
  Path dir;

  @Test
  void defaults_areRootOnlySockets_loopbackMetrics_andCrisNamespace() {
    AgentConfig config = new AgentSettings(Map.of(), Map.of()).resolve();
    assertEquals(Path.of("/run/containerd/containerd.sock"), config.containerdAddress());
    assertEquals(config.containerdAddress(), config.containerdCriSocket(), "CRI lives in containerd by default");
    assertEquals("k8s.io", config.namespace());
    assertEquals("overlaybd", config.snapshotter());
    assertEquals(Optional.empty(), config.socketGroup());
    assertEquals(Optional.of(new InetSocketAddress("127.0.0.1", 9347)), config.metricsAddress());
    assertEquals(4 << 20, config.chunkSize());
    assertEquals(Duration.ofMinutes(2), config.drainTimeout());
  }

  @Test
  void theFileSetsValues_andFlagsWin() throws Exception {
    Path file = dir.resolve("rpulld.toml");
    Files.writeString(file, "[limits]\nblobs_at_once = 12\nchunk_size = \"8MiB\"\n[metrics]\naddress = \"\"\n"
        + "[sockets]\ngroup = \"rpull\"\n");
    AgentConfig config = new AgentSettings(ConfigFile.read(file), Map.of("limits.blobs_at_once", "2")).resolve();
    assertEquals(2, config.blobsAtOnce());
    assertEquals(8 << 20, config.chunkSize());
    assertEquals(Optional.empty(), config.metricsAddress());
    assertEquals(Optional.of("rpull"), config.socketGroup());
  }

  @Test
  void everyKeyTheDefaultFilePrints_isAccepted() throws Exception {
    Path file = dir.resolve("defaults.toml");
    Files.writeString(file, ConfigKeys.defaultFile());
    assertEquals(new AgentSettings(Map.of(), Map.of()).resolve(),
        new AgentSettings(ConfigFile.read(file), Map.of()).resolve());
  }

  @Test
  void badInput_isOneLineNamingTheKeyOrFlag() throws Exception {
    Path file = dir.resolve("bad.toml");
    Files.writeString(file, "[limits]\nblob_at_once = 3\n");
    ConfigException unknown = assertThrows(ConfigException.class, () -> ConfigFile.read(file));
    assertTrue(unknown.getMessage().contains("unknown key limits.blob_at_once"), unknown.getMessage());

    Files.writeString(file, "[limits\n");
    assertTrue(assertThrows(ConfigException.class, () -> ConfigFile.read(file)).getMessage().contains("not valid TOML"));

    ConfigException flag = assertThrows(ConfigException.class,
        () -> new AgentSettings(Map.of(), Map.of("limits.chunk_size", "1")).resolve());
    assertEquals("invalid --chunk-size \"1\": must be between 64KiB and 64MiB", flag.getMessage());
    ConfigException fromFile = assertThrows(ConfigException.class,
        () -> new AgentSettings(Map.of("drain.timeout", "soon"), Map.of()).resolve());
    assertEquals("invalid drain.timeout \"soon\": use a duration such as 30s or 2m", fromFile.getMessage());
    assertThrows(ConfigException.class, () -> ConfigFile.read(dir.resolve("missing.toml")));
  }
}
