package io.rpull.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rpull.types.Failure;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RegistryTransportTest {
  private final MockWebServer registry = new MockWebServer();
  private final MockWebServer storage = new MockWebServer();
  private RegistryTransport transport;

  @BeforeEach
  void start() throws IOException {
    registry.start();
    storage.start();
    RegistryAuth bearer = new RegistryAuth() {
      @Override
      public Optional<String> authorization(HttpUrl url) {
        return Optional.of("Bearer secret-token");
      }

      @Override
      public boolean onUnauthorized(Response unauthorized) {
        return false;
      }
    };
    transport = new RegistryTransport(
        new HttpClients(FetchOptions.defaults(), Duration.ofSeconds(5), Duration.ofSeconds(5), "rpull-test"), bearer);
  }

  @AfterEach
  void stop() {
    registry.close();
    storage.close();
  }

  @Test
  void redirectToAnotherHost_dropsAuthorization_andNeverRestoresIt() throws Exception {
    registry.enqueue(new MockResponse.Builder().code(307)
        .addHeader("Location", storage.url("/blob?X-Amz-Signature=s3cr3t")).build());
    storage.enqueue(new MockResponse.Builder().code(307).addHeader("Location", registry.url("/back")).build());
    registry.enqueue(new MockResponse.Builder().code(200).body("data").build());
    try (Response r = transport.execute(TestHosts.plain(registry), new Request.Builder().url(registry.url("/v2/x/blobs/sha256:1")).build())) {
      assertEquals("data", r.body().string());
    }
    RecordedRequest first = registry.takeRequest();
    RecordedRequest atStorage = storage.takeRequest();
    RecordedRequest backAtRegistry = registry.takeRequest();
    assertEquals("Bearer secret-token", first.getHeaders().get("Authorization"));
    assertNull(atStorage.getHeaders().get("Authorization"));
    assertNull(backAtRegistry.getHeaders().get("Authorization"));
  }

  @Test
  void redirectLoop_stopsAfterTenHops() {
    for (int i = 0; i < 12; i++) {
      registry.enqueue(new MockResponse.Builder().code(302).addHeader("Location", "/again").build());
    }
    RegistryException e = assertThrows(RegistryException.class,
        () -> transport.execute(TestHosts.plain(registry), new Request.Builder().url(registry.url("/start")).build()).close());
    assertTrue(e.getMessage().contains("too many redirects"), e.getMessage());
    assertEquals(11, registry.getRequestCount());
  }

  @Test
  void unauthorized_withNoWayToAuthenticate_isAnAuthError() {
    registry.enqueue(new MockResponse.Builder().code(401).build());
    RegistryException e = assertThrows(RegistryException.class,
        () -> transport.execute(TestHosts.plain(registry), new Request.Builder().url(registry.url("/v2/team/app/manifests/v1")).build()).close());
    assertEquals(Failure.AUTH, e.failure());
    assertTrue(e.getMessage().contains("team/app"), e.getMessage());
  }

  @Test
  void redact_removesQueryAndUserInfo() {
    assertEquals("https://s3.example.com/b",
        RegistryTransport.redact(HttpUrl.get("https://u:p@s3.example.com/b?X-Amz-Security-Token=abc")));
  }
}
