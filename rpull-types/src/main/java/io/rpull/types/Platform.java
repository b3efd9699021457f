package io.rpull.types;

import java.util.Locale;
import java.util.Objects;

/** An OCI platform, compared the way containerd's default matcher does for linux images. */
public record Platform(String os, String architecture, String variant) {
  public Platform {
    Objects.requireNonNull(os, "os");
    Objects.requireNonNull(architecture, "architecture");
    variant = variant == null ? "" : variant;
  }

  /** Parses {@code os/arch[/variant]}, e.g. {@code linux/arm64/v8}. */
  public static Platform parse(String spec) {
    String[] parts = spec.toLowerCase(Locale.ROOT).split("/", -1);
    if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
      throw new IllegalArgumentException("invalid platform '" + spec + "': expected os/arch[/variant]");
    }
    return normalize(new Platform(parts[0], parts[1], parts.length == 3 ? parts[2] : ""));
  }

  /** The platform of the machine rpull runs on. */
  public static Platform host() {
    String arch = System.getProperty("os.arch", "amd64").toLowerCase(Locale.ROOT);
    String goArch = switch (arch) {
      case "x86_64", "amd64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      default -> arch;
    };
    return normalize(new Platform("linux", goArch, ""));
  }

  /** containerd treats arm64 without a variant as arm64/v8. */
  public static Platform normalize(Platform p) {
    if (p.architecture.equals("arm64") && p.variant.isEmpty()) {
      return new Platform(p.os, p.architecture, "v8");
    }
    return p;
  }

  public boolean matches(Platform candidate) {
    Platform c = normalize(candidate);
    Platform self = normalize(this);
    return self.os.equals(c.os)
        && self.architecture.equals(c.architecture)
        && (self.variant.isEmpty() || self.variant.equals(c.variant));
  }

  @Override
  public String toString() {
    return variant.isEmpty() ? os + "/" + architecture : os + "/" + architecture + "/" + variant;
  }
}
