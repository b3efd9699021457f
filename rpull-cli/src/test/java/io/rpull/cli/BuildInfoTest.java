package io.rpull.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;

class BuildInfoTest {
  private static Optional<Manifest> manifest(String... pairs) {
    Manifest m = new Manifest();
    for (int i = 0; i < pairs.length; i += 2) {
      m.getMainAttributes().put(new Attributes.Name(pairs[i]), pairs[i + 1]);
    }
    return Optional.of(m);
  }

  @Test
  void namesVersionAndCommit() {
    BuildInfo info = BuildInfo.fromManifest(manifest("Implementation-Version", "0.1.0", "Build-Commit", "0123456789ab",
        "Build-Dirty", "false"));
    assertEquals("0.1.0 (commit 0123456789ab)", info.describe());
  }

  @Test
  void saysWhenTheTreeHadChanges() {
    BuildInfo info = BuildInfo.fromManifest(manifest("Implementation-Version", "0.1.0", "Build-Commit", "0123456789ab",
        "Build-Dirty", "true"));
    assertEquals("0.1.0 (commit 0123456789ab, modified)", info.describe());
  }

  @Test
  void aBuildOutsideGitHasNoCommit() {
    BuildInfo info = BuildInfo.fromManifest(manifest("Implementation-Version", "0.1.0", "Build-Commit",
        "${git.commit.id.abbrev}", "Build-Dirty", "${git.dirty}"));
    assertEquals("0.1.0", info.describe());
  }

  @Test
  void classesOutsideAJarAreADevelopmentBuild() {
    assertEquals(new BuildInfo("dev", Optional.empty(), false), BuildInfo.of(BuildInfoTest.class));
    assertEquals("dev", BuildInfo.versionOf(BuildInfoTest.class));
  }
}
