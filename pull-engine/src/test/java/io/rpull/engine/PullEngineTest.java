package io.rpull.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rpull.fetch.ImageReference;
import io.rpull.snapshot.BlobPlacer;
import io.rpull.snapshot.ChainIds;
import io.rpull.snapshot.SnapshotInfo;
import io.rpull.types.Digest;
import io.rpull.types.Failure;
import io.rpull.types.Platform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole pull against in-memory containerd and registry: no daemon, no network. */
class PullEngineTest {
  private static final String REF = "registry.test:5000/app/obd:1";
  private static final String SOURCE_LABEL = "containerd.io/distribution.source.registry.test";

  @TempDir
  Path dir;
  private FakeContainerd containerd;
  private final FakeRegistry registry = new FakeRegistry();
  private final SharedPulls shared = new SharedPulls(4);
  private PullEngine engine;

  @BeforeEach
  void setUp() {
    containerd = new FakeContainerd(dir);
    engine = new PullEngine(registry, ns -> containerd, new BlobPlacer(), shared, Clock.systemUTC());
  }

  private TestImage serve(TestImage image) {
    registry.images.put(REF, image);
    return image;
  }

  private PullResult pull(PullRequest.Mode mode) {
    return engine.pull(new PullRequest(ImageReference.parse(REF), REF, "default", "overlaybd",
        Platform.parse("linux/amd64"), mode, Map.of(), Optional.empty(), 2), PullListener.NONE);
  }

  private List<Digest> chain(TestImage image) {
    return ChainIds.of(image.layers.stream().map(TestImage.LayerBlob::diffId).toList());
  }

  private int at(String entry) {
    int i = containerd.log.indexOf(entry);
    assertTrue(i >= 0, "not in the log: " + entry + "\n" + String.join("\n", containerd.log));
    return i;
  }

  @Test
  void fullPull_placesEveryOverlaybdBlob_withoutApply_andRecordsTheImageLast() throws Exception {
    TestImage image = serve(TestImage.of(3, 100_000, true, 1));
    PullResult result = pull(PullRequest.Mode.FULL);

    assertTrue(result.succeeded(), result.toString());
    assertEquals(3, result.layersPlaced());
    assertEquals(0, result.layersApplied());
    for (int i = 0; i < 3; i++) {
      SnapshotInfo info = containerd.snapshots.get(chain(image).get(i).toString());
      assertEquals(SnapshotInfo.Kind.COMMITTED, info.kind());
      assertEquals("download", info.labels().get("containerd.io/snapshot/overlaybd/download-remote-blob"));
    }
    try (var placed = Files.walk(dir.resolve("snapshots"))) {
      List<Path> commits = placed.filter(p -> p.endsWith("overlaybd.commit")).toList();
      assertEquals(3, commits.size());
      for (Path p : commits) {
        assertTrue(image.layers.stream().anyMatch(l -> java.util.Arrays.equals(l.content(), read(p))));
      }
    }
    assertTrue(containerd.log.stream().noneMatch(e -> e.startsWith("apply")), "no untar/apply for overlaybd");
    int lastCommit = at("commit " + chain(image).get(2));
    assertTrue(at("image " + REF) > lastCommit);
    assertEquals(containerd.log.size() - 1, at("lease delete lease-1"), "the lease goes last");
    assertTrue(containerd.leases.isEmpty());
  }

  @Test
  void contentAlreadyPresent_isNotFetchedAgain_andCountsAsReused() {
    TestImage image = serve(TestImage.of(3, 50_000, true, 2));
    TestImage.LayerBlob first = image.layers.get(0);
    containerd.preload(first.descriptor(), first.content());

    PullResult result = pull(PullRequest.Mode.FULL);

    assertTrue(result.succeeded(), result.toString());
    assertFalse(registry.blobOpens.contains(first.descriptor().digest()));
    assertEquals(2, registry.blobOpens.size());
    assertEquals(first.descriptor().size(), result.bytesReused());
    assertEquals(2L * 50_000 + image.manifest.length + image.config.length, result.bytesFetched());
    assertTrue(containerd.leases.isEmpty());
  }

  @Test
  void prepareRace_alreadyExistsThenNotFound_isRetried_asContainerdsUnpackerDoes() {
    TestImage image = serve(TestImage.of(2, 10_000, true, 3));
    containerd.vanishingPrepares.set(2);

    PullResult result = pull(PullRequest.Mode.FULL);

    assertTrue(result.succeeded(), result.toString());
    String firstLayer = "prepare " + chain(image).get(0);
    assertEquals(3, containerd.log.stream().filter(firstLayer::equals).count(), String.join("\n", containerd.log));
    assertEquals(2, result.layersPlaced());
  }

  @Test
  void prepareRace_thatNeverSettles_failsAsContainerd_andLeavesNoImageRecord() {
    serve(TestImage.of(2, 10_000, true, 4));
    containerd.vanishingPrepares.set(100);

    PullResult result = pull(PullRequest.Mode.FULL);

    assertEquals(Failure.CONTAINERD, result.error().orElseThrow().failure());
    assertTrue(result.error().get().message().contains("already exists"), result.error().get().message());
    assertTrue(containerd.images.isEmpty());
  }

  @Test
  void concurrentPulls_inTwoNamespaces_downloadEachBlobOnce() throws Exception {
    TestImage image = serve(TestImage.of(3, 200_000, true, 9));
    registry.openDelay = java.time.Duration.ofMillis(50);
    var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      var pulls = List.of("ns-a", "ns-b").stream().map(ns -> pool.submit(() -> engine.pull(
          new PullRequest(ImageReference.parse(REF), REF, ns, "overlaybd", Platform.parse("linux/amd64"),
              PullRequest.Mode.FULL, Map.of(), Optional.empty(), 3), PullListener.NONE))).toList();
      for (var pull : pulls) {
        PullResult result = pull.get();
        assertTrue(result.succeeded(), result.toString());
      }
      for (TestImage.LayerBlob layer : image.layers) {
        assertEquals(1, registry.blobOpens.stream().filter(layer.descriptor().digest()::equals).count(),
            "blob " + layer.descriptor().digest() + " downloaded once for both pulls");
      }
      assertEquals(0, shared.busyKeys(), "nothing left locked");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aLayerThatFails_leavesNoImageRecord_noSnapshotOverIt_andOnlyAnExpiringLease() {
    TestImage image = serve(TestImage.of(3, 20_000, true, 5));
    registry.failing = image.layers.get(1).descriptor().digest();

    PullResult result = pull(PullRequest.Mode.FULL);

    assertEquals(Failure.NETWORK, result.error().orElseThrow().failure());
    assertTrue(containerd.images.isEmpty(), "no image record for an incomplete image");
    for (int i = 1; i < 3; i++) {
      assertFalse(containerd.snapshots.containsKey(chain(image).get(i).toString()), "no snapshot over layer " + i);
    }
    assertTrue(containerd.snapshots.values().stream().allMatch(s -> s.kind() == SnapshotInfo.Kind.COMMITTED),
        "no active extract snapshot left: " + containerd.snapshots.keySet());
    assertEquals(1, containerd.leases.size());
    assertEquals("PT24H", containerd.leaseExpiry.values().iterator().next(), "every lease expires");
  }

  @Test
  void eachLabel_isWrittenByTheStepThatJustifiesIt() {
    TestImage image = serve(TestImage.of(2, 30_000, false, 6));
    image.layers.forEach(l -> containerd.diffIds.put(l.descriptor().digest(), l.diffId()));

    PullResult result = pull(PullRequest.Mode.FULL);

    assertTrue(result.succeeded(), result.toString());
    assertEquals(2, result.layersApplied());
    Digest manifest = image.manifestDescriptor.digest();
    Digest config = image.configDescriptor.digest();
    // Documents: the GC references of a manifest are written once it is committed.
    assertTrue(at("label " + manifest + " containerd.io/gc.ref.content.config")
        > at("ingest manifest-" + manifest));
    for (int i = 0; i < 2; i++) {
      Digest layer = image.layers.get(i).descriptor().digest();
      String chainId = chain(image).get(i).toString();
      // The source label right after the blob is committed; the uncompressed label right after
      // Apply verified the diffID, and before the snapshot is committed.
      assertTrue(at("label " + layer + " " + SOURCE_LABEL) > at("ingest layer-" + layer));
      int applied = at("apply " + layer);
      int uncompressed = at("label " + layer + " containerd.io/uncompressed");
      assertTrue(applied < uncompressed && uncompressed < at("commit " + chainId));
    }
    // The config names the top snapshot once it exists; the image record comes after everything.
    int snapshotRef = at("label " + config + " containerd.io/gc.ref.snapshot.overlaybd");
    assertTrue(snapshotRef > at("commit " + chain(image).get(1)));
    assertTrue(at("image " + REF) > snapshotRef);
    assertEquals(chain(image).get(1).toString(),
        containerd.contentLabels.get(config).get("containerd.io/gc.ref.snapshot.overlaybd"));
  }

  @Test
  void aLayerWhoseApplyDoesNotMatchItsDiffId_isAVerificationFailure_withoutAnImageRecord() {
    TestImage image = serve(TestImage.of(2, 30_000, false, 7));
    containerd.diffIds.put(image.layers.get(0).descriptor().digest(), image.layers.get(0).diffId());
    containerd.diffIds.put(image.layers.get(1).descriptor().digest(), Digest.sha256Of(new byte[] {1}));

    PullResult result = pull(PullRequest.Mode.FULL);

    assertEquals(Failure.VERIFICATION, result.error().orElseThrow().failure());
    assertTrue(containerd.images.isEmpty());
    assertFalse(containerd.snapshots.containsKey(chain(image).get(1).toString()));
  }

  @Test
  void aSnapshotterThatCanRebase_getsLayersPreparedWithoutParents_andCommittedOntoTheLayerBelowInOrder() {
    containerd.rebase = true;
    TestImage image = serve(TestImage.of(5, 30_000, false, 31));
    image.layers.forEach(l -> containerd.diffIds.put(l.descriptor().digest(), l.diffId()));

    PullResult result = pull(PullRequest.Mode.FULL);

    assertTrue(result.succeeded(), result.toString());
    assertEquals(5, result.layersApplied());
    List<Digest> chain = chain(image);
    assertTrue(containerd.log.contains("commit " + chain.get(0)), "the bottom layer is committed as usual");
    for (int i = 1; i < 5; i++) {
      assertTrue(at("commit " + chain.get(i) + " onto " + chain.get(i - 1)) > at("commit " + chain.get(i - 1)
          + (i == 1 ? "" : " onto " + chain.get(i - 2))), "layer " + i + " is committed onto the one below, after it");
      assertEquals(chain.get(i - 1).toString(), containerd.snapshots.get(chain.get(i).toString()).parent());
    }
    assertTrue(containerd.snapshots.values().stream().allMatch(s -> s.kind() == SnapshotInfo.Kind.COMMITTED),
        "no active extract snapshot left: " + containerd.snapshots.keySet());
    assertTrue(containerd.images.containsKey(REF));
  }

  @Test
  void aFailedLayer_inASideBySideUnpack_leavesNothingAboveTheLayersBelowIt() {
    containerd.rebase = true;
    TestImage image = serve(TestImage.of(5, 30_000, false, 32));
    image.layers.forEach(l -> containerd.diffIds.put(l.descriptor().digest(), l.diffId()));
    containerd.diffIds.put(image.layers.get(2).descriptor().digest(), Digest.sha256Of(new byte[] {2}));

    PullResult result = pull(PullRequest.Mode.FULL);

    assertEquals(Failure.VERIFICATION, result.error().orElseThrow().failure());
    assertTrue(result.error().orElseThrow().message().contains(image.layers.get(2).descriptor().digest().toString()),
        result.error().orElseThrow().message());
    assertTrue(containerd.images.isEmpty());
    List<Digest> chain = chain(image);
    for (int i = 2; i < 5; i++) {
      assertFalse(containerd.snapshots.containsKey(chain.get(i).toString()), "no snapshot for layer " + i);
    }
    assertTrue(containerd.snapshots.values().stream().allMatch(s -> s.kind() == SnapshotInfo.Kind.COMMITTED),
        "no active extract snapshot left: " + containerd.snapshots.keySet());
  }

  @Test
  void lazyPull_writesNoLayerBlob_andLeavesOverlaybdLayersRemote() {
    TestImage image = serve(TestImage.of(3, 40_000, true, 8));

    PullResult result = pull(PullRequest.Mode.LAZY);

    assertTrue(result.succeeded(), result.toString());
    assertTrue(registry.blobOpens.isEmpty(), "no layer blob fetched: " + registry.blobOpens);
    assertTrue(containerd.log.stream().noneMatch(e -> e.startsWith("ingest layer-")), String.join("\n", containerd.log));
    image.layers.forEach(l -> assertFalse(containerd.content.containsKey(l.descriptor().digest())));
    assertEquals(3, result.layersExisting());
    assertTrue(containerd.images.containsKey(REF));
  }

  @Test
  void aFullPullAfterALazyOne_makesEveryLayerLocal_underTheSameChainIds() {
    TestImage image = serve(TestImage.of(3, 40_000, true, 18));
    assertTrue(pull(PullRequest.Mode.LAZY).succeeded());
    chain(image).forEach(c -> assertTrue(containerd.snapshots.get(c.toString()).labels()
        .containsKey(io.rpull.snapshot.OverlaybdLabels.REMOTE)));

    PullResult full = pull(PullRequest.Mode.FULL);

    assertTrue(full.succeeded(), full.toString());
    assertEquals(3, full.layersPlaced(), full.toString());
    for (Digest c : chain(image)) {
      Map<String, String> labels = containerd.snapshots.get(c.toString()).labels();
      assertFalse(labels.containsKey(io.rpull.snapshot.OverlaybdLabels.REMOTE), labels.toString());
      assertEquals("download", labels.get(io.rpull.snapshot.OverlaybdLabels.DOWNLOAD));
    }
  }

  @Test
  void aRemoteLayerInUse_failsTheFullPull_namingIt_andChangesNothingBelow() {
    TestImage image = serve(TestImage.of(2, 40_000, true, 19));
    assertTrue(pull(PullRequest.Mode.LAZY).succeeded());
    String top = chain(image).get(1).toString();
    // A container's writable snapshot on the image's top layer.
    containerd.snapshots.put("container-1", new io.rpull.snapshot.SnapshotInfo("container-1", top,
        io.rpull.snapshot.SnapshotInfo.Kind.ACTIVE, Map.of()));

    PullResult full = pull(PullRequest.Mode.FULL);

    assertEquals(Failure.CONTAINERD, full.error().orElseThrow().failure());
    String message = full.error().get().message();
    assertTrue(message.contains(image.layers.get(1).descriptor().digest().toString())
        && message.contains("cannot be made local"), message);
    assertTrue(containerd.snapshots.containsKey(top) && containerd.snapshots.containsKey(chain(image).get(0).toString()));
  }

  @Test
  void whatAKilledPullLeft_isTakenOver_byTheNextPullOfTheImage_andNothingElse() {
    TestImage image = serve(TestImage.of(2, 20_000, true, 20));
    String boot = ProcessOwner.current().split("/")[0];
    String ingest = "ingests layer-" + image.layers.get(0).descriptor().digest();
    String extract = "extract-1-abc " + chain(image).get(0);
    containerd.snapshots.put(extract, new io.rpull.snapshot.SnapshotInfo(extract, "",
        io.rpull.snapshot.SnapshotInfo.Kind.ACTIVE, Map.of()));
    // A killed pull of this image, one of another image, and a live pull of this image (this process).
    lease("lease-dead", REF, boot + "/999999999/1", List.of("snapshots/overlaybd " + extract, ingest));
    lease("lease-other", "example.com/other:1", boot + "/999999999/1", List.of("content sha256:00"));
    lease("lease-live", REF, ProcessOwner.current(), List.of("content sha256:01"));

    assertTrue(pull(PullRequest.Mode.FULL).succeeded());

    assertFalse(containerd.leases.containsKey("lease-dead"), "the dead pull's lease is taken over");
    assertFalse(containerd.snapshots.containsKey(extract), "its unfinished snapshot is removed");
    assertTrue(containerd.log.contains("remove " + extract));
    assertTrue(containerd.leases.containsKey("lease-other"), "another image's lease is left alone");
    assertTrue(containerd.leases.containsKey("lease-live"), "a running pull's lease is left alone");
  }

  private void lease(String id, String image, String owner, List<String> resources) {
    containerd.leases.put(id, new java.util.ArrayList<>(resources));
    containerd.leaseLabels.put(id, Map.of(Leftovers.IMAGE_LABEL, image, Leftovers.OWNER_LABEL, owner));
  }

  @Test
  void aCompleteImage_isPulledAgainWithoutWritingAnything() {
    serve(TestImage.of(2, 10_000, true, 9));
    assertTrue(pull(PullRequest.Mode.FULL).succeeded());
    int before = containerd.log.size();

    PullResult again = pull(PullRequest.Mode.FULL);

    assertTrue(again.succeeded());
    assertEquals(0, again.bytesFetched());
    assertEquals(before, containerd.log.size(), "nothing written: " + containerd.log.subList(before, containerd.log.size()));
  }

  @Test
  void aMissingImage_isNotFound_andCreatesNothing() {
    PullResult result = pull(PullRequest.Mode.FULL);

    assertEquals(Failure.NOT_FOUND, result.error().orElseThrow().failure());
    assertTrue(containerd.log.isEmpty(), String.join("\n", containerd.log));
  }

  @Test
  void theListenerHearsEveryBlob_andTheResultLast() {
    TestImage image = serve(TestImage.of(2, 10_000, true, 10));
    List<String> heard = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    PullResult result = engine.pull(new PullRequest(ImageReference.parse(REF), REF, "default", "overlaybd",
        Platform.parse("linux/amd64"), PullRequest.Mode.FULL, Map.of(), Optional.empty(), 2), new PullListener() {
          @Override
          public void blobCommitted(Digest blob, boolean existed) {
            heard.add("committed " + blob);
          }

          @Override
          public void layerCommitting(io.rpull.types.Descriptor layer) {
            heard.add("committing " + layer.digest());
          }

          @Override
          public void finished(PullResult r) {
            heard.add("finished");
          }
        });
    assertTrue(result.succeeded());
    for (TestImage.LayerBlob l : image.layers) {
      assertTrue(heard.indexOf("committed " + l.descriptor().digest()) < heard.indexOf("committing "
          + l.descriptor().digest()));
    }
    assertEquals("finished", heard.get(heard.size() - 1));
    // manifest and config committed, two layers committed and committing, then the result
    assertEquals(2 + 2 + 2 + 1, heard.size(), heard.toString());
  }

  private static byte[] read(Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
