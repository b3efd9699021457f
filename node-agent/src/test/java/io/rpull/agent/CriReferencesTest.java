package io.rpull.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CriReferencesTest {
  @ParameterizedTest
  @CsvSource({
      "nginx, docker.io/library/nginx:latest",
      "nginx:1.27, docker.io/library/nginx:1.27",
      "bitnami/redis, docker.io/bitnami/redis:latest",
      "registry.example.com/app/api, registry.example.com/app/api:latest",
      "127.0.0.1:5000/rpull/obd:v1, 127.0.0.1:5000/rpull/obd:v1",
      "localhost/app, localhost/app:latest",
      "localhost:5000/app, localhost:5000/app:latest",
      "registry:5000/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, registry:5000/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "registry:5000/app:v1@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, registry:5000/app@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
  })
  void normalizesAsContainerdsCri(String image, String expected) {
    assertEquals(expected, CriReferences.normalize(image));
  }
}
