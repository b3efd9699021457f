package io.rpull.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rpull.engine.SharedPulls;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AgentEnginesTest {
  private final AgentEngines engines = new AgentEngines(Path.of("/run/containerd/containerd.sock"), ns -> null,
      null, new SharedPulls(1), Clock.systemUTC());

  @Test
  void servesItsOwnContainerd_only_andNoHttpLog() {
    assertEquals(Optional.empty(), engines.refusal(Path.of("/run/containerd/../containerd/containerd.sock"), false));
    assertTrue(engines.refusal(Path.of("/other/containerd.sock"), false).orElseThrow().contains("/other"));
    assertTrue(engines.refusal(Path.of("/run/containerd/containerd.sock"), true).isPresent());
  }
}
