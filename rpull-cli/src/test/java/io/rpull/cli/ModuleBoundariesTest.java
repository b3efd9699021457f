package io.rpull.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layering the design fixes, checked on the sources: front-ends and the engine never see a
 * gRPC stub, a generated proto class or OkHttp, and no module depends on one above it.
 */
class ModuleBoundariesTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern IMPORT = Pattern.compile("^import (?:static )?([\\w.]+)", Pattern.MULTILINE);
  private static final Pattern DEPENDENCY = Pattern.compile(
      "<dependency>\\s*<groupId>io\\.rpull</groupId>\\s*<artifactId>([\\w-]+)</artifactId>");
  private static final List<String> FORBIDDEN_ABOVE_THE_EDGE = List.of(
      "io.grpc.", "io.rpull.containerd.api.", "io.rpull.containerd.grpc.", "okhttp3.", "okio.", "com.google.protobuf.");

  @Test
  void engineAndCommandLine_importNoGrpcNoProtoNoOkHttp() throws IOException {
    List<String> offences = new ArrayList<>();
    for (String module : List.of("rpull-cli", "pull-engine")) {
      forEachImport(module, (file, imported) -> {
        if (FORBIDDEN_ABOVE_THE_EDGE.stream().anyMatch(imported::startsWith)) {
          offences.add(ROOT.relativize(file) + ": " + imported);
        }
      });
    }
    assertEquals(List.of(), offences);
  }

  /** The node agent serves gRPC, but only its CRI adapter sees gRPC or protos, and nothing sees containerd's. */
  @Test
  void nodeAgent_keepsGrpcInItsCriAdapter_andNeverSeesContainerdsProtos() throws IOException {
    List<String> offences = new ArrayList<>();
    Path sources = ROOT.resolve("node-agent/src/main/java");
    forEachImport("node-agent", (file, imported) -> {
      boolean adapter = sources.relativize(file).toString().startsWith("io/rpull/agent/cri/");
      boolean forbidden = adapter
          ? List.of("io.rpull.containerd.", "okhttp3.", "okio.").stream().anyMatch(imported::startsWith)
          : FORBIDDEN_ABOVE_THE_EDGE.stream().anyMatch(imported::startsWith) || imported.startsWith("io.rpull.cri.");
      if (forbidden) {
        offences.add(ROOT.relativize(file) + ": " + imported);
      }
    });
    assertEquals(List.of(), offences);
  }

  /** Calls {@code action} with each main source file of {@code module} and each class or package it imports. */
  private static void forEachImport(String module, java.util.function.BiConsumer<Path, String> action)
      throws IOException {
    try (Stream<Path> files = Files.walk(ROOT.resolve(module).resolve("src/main/java"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        Matcher m = IMPORT.matcher(Files.readString(file));
        while (m.find()) {
          action.accept(file, m.group(1));
        }
      }
    }
  }

  @Test
  void moduleDependencies_pointDownwardOnly() throws IOException {
    Map<String, Set<String>> allowed = Map.of(
        "rpull-types", Set.of(),
        "containerd-protos", Set.of(),
        "chunked-fetch", Set.of("rpull-types"),
        "content-writer", Set.of("rpull-types", "containerd-protos"),
        "snapshot-bridge", Set.of("content-writer"),
        "pull-engine", Set.of("chunked-fetch", "snapshot-bridge"),
        "rpull-cli", Set.of("pull-engine", "chunked-fetch", "snapshot-bridge"),
        "cri-protos", Set.of(),
        "node-agent", Set.of("rpull-cli", "pull-engine", "chunked-fetch", "snapshot-bridge", "cri-protos"));
    Map<String, Set<String>> actual = new TreeMap<>();
    for (String module : allowed.keySet()) {
      String pom = Files.readString(ROOT.resolve(module).resolve("pom.xml"));
      Set<String> deps = new TreeSet<>();
      Matcher m = DEPENDENCY.matcher(pom);
      while (m.find()) {
        deps.add(m.group(1));
      }
      actual.put(module, deps);
      assertTrue(allowed.get(module).containsAll(deps), module + " depends on " + deps + "; allowed: "
          + allowed.get(module));
    }
    assertEquals(new TreeSet<>(allowed.keySet()), actual.keySet());
  }
}
