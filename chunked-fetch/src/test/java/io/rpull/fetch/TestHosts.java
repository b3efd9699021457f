package io.rpull.fetch;

import java.util.EnumSet;
import java.util.Map;
import mockwebserver3.MockWebServer;

/** Registry hosts for tests against MockWebServer. */
final class TestHosts {
  private TestHosts() {}

  static RegistryHost plain(MockWebServer server) {
    return new RegistryHost(server.url("/v2/"), EnumSet.allOf(RegistryHost.Capability.class), TlsSettings.SYSTEM,
        Map.of(), false, java.util.Optional.empty(), false);
  }
}
