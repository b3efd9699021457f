package io.rpull.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rpull.types.Failure;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ChallengeAuthenticatorTest {
  private final MockWebServer server = new MockWebServer();
  private final AtomicInteger tokensIssued = new AtomicInteger();
  private final AtomicReference<String> validToken = new AtomicReference<>("");
  private final List<String> tokenRequestAuth = new java.util.concurrent.CopyOnWriteArrayList<>();
  private HttpClients clients;

  /** A registry with its own token service: /token issues "t<n>", /v2/ accepts only the newest. */
  @BeforeEach
  void start() throws Exception {
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest r) {
        if (r.getUrl().encodedPath().equals("/token")) {
          tokenRequestAuth.add(String.valueOf(r.getHeaders().get("Authorization")));
          String token = "t" + tokensIssued.incrementAndGet();
          validToken.set(token);
          return new MockResponse.Builder().code(200)
              .body("{\"token\":\"" + token + "\",\"expires_in\":300}").build();
        }
        if (("Bearer " + validToken.get()).equals(r.getHeaders().get("Authorization"))) {
          return new MockResponse.Builder().code(200).body("ok").build();
        }
        return new MockResponse.Builder().code(401).addHeader("WWW-Authenticate",
            "Bearer realm=\"" + server.url("/token") + "\",service=\"registry.test\",scope=\"repository:team/app:pull\"")
            .build();
      }
    });
    server.start();
    clients = new HttpClients(FetchOptions.defaults(), Duration.ofSeconds(5), Duration.ofSeconds(5), "rpull-test");
  }

  @AfterEach
  void stop() {
    clients.close();
    server.close();
  }

  private RegistryTransport transport(CredentialStore credentials, Clock clock) {
    return new RegistryTransport(clients, new ChallengeAuthenticator(credentials, (u, realm) -> clients.forTls(TlsSettings.SYSTEM), clock));
  }

  private int get(RegistryTransport transport) throws Exception {
    try (Response r = transport.execute(TestHosts.plain(server),
        new Request.Builder().url(server.url("/v2/team/app/manifests/v1")).build())) {
      return r.code();
    }
  }

  @Test
  void anonymousBearerFlow_getsATokenOnce_andReusesIt() throws Exception {
    RegistryTransport transport = transport(CredentialStore.NONE, Clock.systemUTC());
    assertEquals(200, get(transport));
    assertEquals(200, get(transport));
    assertEquals(1, tokensIssued.get());
    assertEquals(List.of("null"), tokenRequestAuth);
  }

  @Test
  void credentials_goToTheTokenService_asBasic() throws Exception {
    String host = server.getHostName() + ":" + server.getPort();
    RegistryTransport transport = transport(CredentialStore.forHost(host, new Credentials("u", "p")),
        Clock.systemUTC());
    assertEquals(200, get(transport));
    assertEquals(List.of(okhttp3.Credentials.basic("u", "p")), tokenRequestAuth);
  }

  @Test
  void expiredToken_isRefreshedOnce_forAllConnectionsAtOnce() throws Exception {
    AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
    Clock clock = new Clock() {
      @Override
      public ZoneOffset getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(java.time.ZoneId zone) {
        return this;
      }

      @Override
      public Instant instant() {
        return now.get();
      }
    };
    RegistryTransport transport = transport(CredentialStore.NONE, clock);
    assertEquals(200, get(transport));
    // The server revokes the token; the local clock says it is still valid: only a 401 tells.
    validToken.set("revoked-by-server");
    now.set(now.get().plusSeconds(30));
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        results.add(pool.submit((Callable<Integer>) () -> get(transport)));
      }
      for (Future<Integer> f : results) {
        assertEquals(200, f.get());
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(2, tokensIssued.get(), "one refresh shared by all eight connections");
  }

  @Test
  void realm_mustBeHttpsForAnHttpsRegistry_butMayBeAnyHost_asContainerdAllows() {
    HttpUrl registry = HttpUrl.get("https://registry.example.com/v2/x/manifests/1");
    assertThrows(RegistryException.class, () -> ChallengeAuthenticator.validRealm(registry, "http://auth.example.com/t"));
    assertThrows(RegistryException.class, () -> ChallengeAuthenticator.validRealm(registry, "http://10.0.0.5/t"));
    // Token services on separate private hosts are common inside companies; containerd follows them.
    assertEquals("10.0.0.5", ChallengeAuthenticator.validRealm(registry, "https://10.0.0.5/t").host());
    assertEquals("127.0.0.2", ChallengeAuthenticator.validRealm(registry, "https://127.0.0.2:5001/t").host());
    assertThrows(RegistryException.class, () -> ChallengeAuthenticator.validRealm(registry, "https://u:p@auth.example.com/"));
    assertThrows(RegistryException.class, () -> ChallengeAuthenticator.validRealm(registry, "not a url"));
    assertEquals("auth.example.com", ChallengeAuthenticator.validRealm(registry, "https://auth.example.com/t").host());
    HttpUrl local = HttpUrl.get("http://127.0.0.1:5000/v2/x/manifests/1");
    assertEquals("127.0.0.1", ChallengeAuthenticator.validRealm(local, "http://127.0.0.1:5000/token").host());
  }

  @Test
  void scope_isDerivedFromTheRepositoryPath() {
    assertEquals("repository:team/app:pull",
        ChallengeAuthenticator.scopeOf(HttpUrl.get("https://r/v2/team/app/blobs/sha256:1")));
    assertEquals("", ChallengeAuthenticator.scopeOf(HttpUrl.get("https://r/v2/")));
  }

  @Test
  void basicChallenge_withoutCredentials_fails_withCredentials_succeeds() throws Exception {
    MockWebServer basic = new MockWebServer();
    basic.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest r) {
        return okhttp3.Credentials.basic("u", "p").equals(r.getHeaders().get("Authorization"))
            ? new MockResponse.Builder().code(200).build()
            : new MockResponse.Builder().code(401).addHeader("WWW-Authenticate", "Basic realm=\"r\"").build();
      }
    });
    basic.start();
    try {
      RegistryHost host = TestHosts.plain(basic);
      Request request = new Request.Builder().url(basic.url("/v2/x/manifests/1")).build();
      RegistryTransport anonymous = new RegistryTransport(clients,
          new ChallengeAuthenticator(CredentialStore.NONE, (u, realm) -> clients.forTls(TlsSettings.SYSTEM), Clock.systemUTC()));
      RegistryException e = assertThrows(RegistryException.class, () -> anonymous.execute(host, request).close());
      assertEquals(Failure.AUTH, e.failure());
      RegistryTransport withUser = new RegistryTransport(clients, new ChallengeAuthenticator(
          CredentialStore.forHost(basic.getHostName() + ":" + basic.getPort(), new Credentials("u", "p")),
          (u, realm) -> clients.forTls(TlsSettings.SYSTEM), Clock.systemUTC()));
      try (Response r = withUser.execute(host, request)) {
        assertEquals(200, r.code());
      }
      assertFalse(CredentialStore.forHost("other:1", new Credentials("u", "p")).lookup("x:1").isPresent());
      assertTrue(CredentialStore.forHost("docker.io", new Credentials("u", "p")).lookup("registry-1.docker.io")
          .isPresent());
      assertEquals(Optional.empty(), CredentialStore.NONE.lookup("x"));
    } finally {
      basic.close();
    }
  }
}
