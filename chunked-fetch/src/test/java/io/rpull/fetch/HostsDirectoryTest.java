package io.rpull.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostsDirectoryTest {
  @TempDir
  Path dir;

  private List<RegistryHost> hosts(String registry, boolean plainHttp) {
    return new HostsDirectory(Optional.of(dir), plainHttp, TlsSettings.SYSTEM).hostsFor(registry);
  }

  private void write(String host, String toml) throws Exception {
    Files.createDirectories(dir.resolve(host));
    Files.writeString(dir.resolve(host).resolve("hosts.toml"), toml);
  }

  @Test
  void noConfiguration_isTheRegistryItself_dockerIoMeansRegistry1() {
    List<RegistryHost> h = new HostsDirectory(Optional.empty(), false, TlsSettings.SYSTEM).hostsFor("docker.io");
    assertEquals(1, h.size());
    assertEquals("https://registry-1.docker.io/v2/", h.get(0).apiRoot().toString());
    assertEquals("http://reg:5000/v2/", hosts("reg:5000", true).get(0).apiRoot().toString());
  }

  @Test
  void mirrorsComeFirstInFileOrder_thenTheServer_withTheirCapabilities() throws Exception {
    write("reg.example.com", """
        server = "https://reg.example.com"

        [host."https://mirror-a.example.com"]
          capabilities = ["pull"]

        [host."http://mirror-b.example.com:5000"]
          capabilities = ["pull", "resolve"]
          skip_verify = true
          ca = "ca.pem"
          [host."http://mirror-b.example.com:5000".header]
            x-mirror = "b"
        """);
    List<RegistryHost> h = hosts("reg.example.com", false);
    assertEquals(List.of("mirror-a.example.com", "mirror-b.example.com", "reg.example.com"),
        h.stream().map(x -> x.apiRoot().host()).toList());
    assertEquals(Set.of(RegistryHost.Capability.PULL), h.get(0).capabilities());
    assertTrue(h.get(1).can(RegistryHost.Capability.RESOLVE));
    assertTrue(h.get(1).tls().skipVerify());
    assertEquals(List.of(dir.resolve("reg.example.com/ca.pem")), h.get(1).tls().caFiles());
    assertEquals("b", h.get(1).headers().get("x-mirror"));
    assertFalse(h.get(1).mirror() == h.get(2).mirror());
    assertTrue(h.get(2).can(RegistryHost.Capability.PUSH));
  }

  @Test
  void mirrorsGetContainerdsNsQuery_theRegistryItselfDoesNot() throws Exception {
    write("reg.example.com:5000", """
        server = "https://reg.example.com:5000"
        [host."http://127.0.0.1:4001"]
        [host."https://reg.example.com"]
        """);
    List<RegistryHost> h = hosts("reg.example.com:5000", false);
    // Spegel and Dragonfly need ns= to look tags up; the server itself never gets it.
    assertEquals("http://127.0.0.1:4001/v2/team/app/manifests/v1?ns=reg.example.com%3A5000",
        h.get(0).url("team/app", "manifests", "v1").toString());
    assertEquals(Optional.of("reg.example.com:5000"), h.get(1).proxyFor(), "another port is another host");
    assertEquals("https://reg.example.com:5000/v2/team/app/blobs/sha256:x",
        h.get(2).url("team/app", "blobs", "sha256:x").toString());
    assertEquals(Optional.empty(), hosts("docker.io", false).get(0).proxyFor());
  }

  @Test
  void anUnconfiguredLoopbackRegistry_mayFallBackToHttp_asContainerdLets_nothingElseMay() throws Exception {
    HostsDirectory none = new HostsDirectory(Optional.empty(), false, TlsSettings.SYSTEM);
    assertTrue(none.hostsFor("localhost:5000").get(0).httpFallback());
    assertTrue(none.hostsFor("127.0.0.1:5000").get(0).httpFallback());
    assertTrue(none.hostsFor("[::1]:5000").get(0).httpFallback());
    assertFalse(none.hostsFor("localhost").get(0).httpFallback(), "no port: https only, as containerd");
    assertFalse(none.hostsFor("127.0.0.1:443").get(0).httpFallback());
    assertFalse(none.hostsFor("reg.example.com:5000").get(0).httpFallback());
    assertFalse(none.hostsFor("10.1.2.3:5000").get(0).httpFallback());
    assertFalse(new HostsDirectory(Optional.empty(), true, TlsSettings.SYSTEM).hostsFor("127.0.0.1:5000").get(0)
        .httpFallback(), "--plain-http: http from the start");
    write("127.0.0.1:5001", "server = \"https://127.0.0.1:5001\"\n");
    assertFalse(hosts("127.0.0.1:5001", false).get(0).httpFallback(), "an explicit https server stays https");
  }

  @Test
  void overridePath_isUsedAsIs_otherwiseV2IsAppended() throws Exception {
    write("docker.io", """
        [host."https://proxy.example.com/v2/hub"]
          override_path = true
        [host."https://cache.example.com/prefix"]
        """);
    List<RegistryHost> h = hosts("docker.io", false);
    assertEquals("https://proxy.example.com/v2/hub/library/redis/manifests/7?ns=docker.io",
        h.get(0).url("library/redis", "manifests", "7").toString());
    assertEquals("https://cache.example.com/prefix/v2/library/redis/blobs/sha256:x?ns=docker.io",
        h.get(1).url("library/redis", "blobs", "sha256:x").toString());
    assertEquals("https://registry-1.docker.io/v2/", h.get(2).apiRoot().toString());
  }

  @Test
  void serverWithoutScheme_takesThePlainHttpDefault_andTopLevelCaAppliesToIt() throws Exception {
    write("127.0.0.1:5000", """
        server = "127.0.0.1:5000"
        ca = ["a.crt", "b.crt"]
        """);
    RegistryHost server = hosts("127.0.0.1:5000", true).get(0);
    assertEquals("http://127.0.0.1:5000/v2/", server.apiRoot().toString());
    assertEquals(2, server.tls().caFiles().size());
  }

  @Test
  void certsDLayout_withoutHostsToml_givesCaAndClientPair() throws Exception {
    Path host = Files.createDirectories(dir.resolve("reg:443"));
    Files.writeString(host.resolve("ca.crt"), "x");
    Files.writeString(host.resolve("client.cert"), "x");
    Files.writeString(host.resolve("client.key"), "x");
    TlsSettings tls = hosts("reg:443", false).get(0).tls();
    assertEquals(List.of(host.resolve("ca.crt")), tls.caFiles());
    assertEquals(host.resolve("client.key"), tls.clientCertificate().orElseThrow().key());
  }

  @Test
  void defaultDirectory_appliesToHostsWithoutTheirOwn() throws Exception {
    write("_default", """
        [host."https://everything-mirror.example.com"]
        """);
    assertEquals("everything-mirror.example.com", hosts("any.example.com", false).get(0).apiRoot().host());
  }

  @Test
  void brokenToml_orUnknownCapability_isAClearError() throws Exception {
    write("a.example.com", "server = [unclosed");
    RegistryException e = assertThrows(RegistryException.class, () -> hosts("a.example.com", false));
    assertTrue(e.getMessage().contains("not valid TOML"), e.getMessage());
    write("b.example.com", "[host.\"https://m\"]\ncapabilities = [\"fly\"]\n");
    assertTrue(assertThrows(RegistryException.class, () -> hosts("b.example.com", false)).getMessage()
        .contains("unknown capability"));
  }
}
