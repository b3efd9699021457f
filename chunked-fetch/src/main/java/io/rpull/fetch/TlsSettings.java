package io.rpull.fetch;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * How to talk TLS to one registry host: extra trusted CAs (added to the system's), an optional
 * client certificate, and whether verification is skipped (only ever because the user asked).
 */
public record TlsSettings(boolean skipVerify, List<Path> caFiles, Optional<ClientCertificate> clientCertificate) {
  public static final TlsSettings SYSTEM = new TlsSettings(false, List.of(), Optional.empty());

  public TlsSettings {
    caFiles = List.copyOf(caFiles);
  }

  /** A PEM certificate and its PKCS#8 PEM private key. */
  public record ClientCertificate(Path certificate, Path key) {}

  public boolean isSystemDefault() {
    return !skipVerify && caFiles.isEmpty() && clientCertificate.isEmpty();
  }
}
