package io.rpull.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;

/**
 * What a jar was built from: the project version and the git commit, which the build writes into
 * the manifest ({@code Implementation-Version}, {@code Build-Commit}, {@code Build-Dirty}). A build
 * outside git, or classes run from a directory, have no commit.
 */
public record BuildInfo(String version, Optional<String> commit, boolean modified) {
  static final String UNKNOWN_VERSION = "dev";

  /** The build of the jar that holds {@code type}: reads the jar's manifest, for --version and logs. */
  public static BuildInfo of(Class<?> type) {
    return fromManifest(manifestOf(type));
  }

  /**
   * The version alone, as the class loader already read it from the manifest: no file is opened,
   * so every pull can name it (its User-Agent).
   */
  public static String versionOf(Class<?> type) {
    Package p = type.getPackage();
    return present(p == null ? null : p.getImplementationVersion()).orElse(UNKNOWN_VERSION);
  }

  static BuildInfo fromManifest(Optional<Manifest> manifest) {
    Attributes main = manifest.map(Manifest::getMainAttributes).orElseGet(Attributes::new);
    String version = present(main.getValue("Implementation-Version")).orElse(UNKNOWN_VERSION);
    Optional<String> commit = present(main.getValue("Build-Commit"));
    return new BuildInfo(version, commit, commit.isPresent() && "true".equals(main.getValue("Build-Dirty")));
  }

  /** "0.1.0 (commit 0123456789ab)", with ", modified" when the working tree had uncommitted changes. */
  public String describe() {
    return version + commit.map(c -> " (commit " + c + (modified ? ", modified" : "") + ")").orElse("");
  }

  private static Optional<String> present(String value) {
    // A property Maven could not resolve stays as its ${...} placeholder.
    return value == null || value.isBlank() || value.startsWith("${") ? Optional.empty() : Optional.of(value);
  }

  private static Optional<Manifest> manifestOf(Class<?> type) {
    CodeSource source = type.getProtectionDomain().getCodeSource();
    if (source == null) {
      return Optional.empty();
    }
    try {
      Path location = Path.of(source.getLocation().toURI());
      if (!Files.isRegularFile(location)) {
        return Optional.empty();
      }
      try (InputStream in = Files.newInputStream(location); JarInputStream jar = new JarInputStream(in)) {
        return Optional.ofNullable(jar.getManifest());
      }
    } catch (IOException | URISyntaxException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
