package io.rpull.agent;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything rpulld is told, from its config file and flags (docs/rpulld.md lists each key).
 *
 * @param containerdAddress containerd's gRPC socket
 * @param containerdCriSocket containerd's own CRI (image status, list, remove, fs info are forwarded there)
 * @param namespace the namespace CRI pulls go to ({@code k8s.io}, where kubelet looks)
 * @param snapshotter the snapshotter containerd's CRI is configured with
 * @param hostsDir containerd's {@code hosts.toml} directory, as CRI's {@code config_path}
 * @param criSocket the CRI image service kubelet's {@code imageServiceEndpoint} names
 * @param agentSocket the socket the rpull command line hands its work to
 * @param socketGroup empty: both sockets root-only (0600); else 0660 owned by this group
 * @param metricsAddress where /metrics and /healthz listen; empty: nowhere
 * @param blobsAtOnce layer blobs downloading at once across every pull on the node
 * @param chunkSize bytes per range request
 * @param chunksPerBlob range requests of one blob in flight
 * @param maxConnections range requests in flight across the node
 * @param maxBandwidth bytes per second across the node; 0 for none
 * @param connectTimeout connecting to containerd and to registries
 * @param drainTimeout on SIGTERM, how long in-flight pulls may take to finish before they are stopped
 */
public record AgentConfig(Path containerdAddress, Path containerdCriSocket, String namespace, String snapshotter,
    Optional<Path> hostsDir, Path criSocket, Path agentSocket, Optional<String> socketGroup,
    Optional<InetSocketAddress> metricsAddress, int blobsAtOnce, int chunkSize, int chunksPerBlob, int maxConnections,
    long maxBandwidth, Duration connectTimeout, Duration drainTimeout) {

  public AgentConfig {
    Objects.requireNonNull(containerdAddress, "containerdAddress");
    Objects.requireNonNull(containerdCriSocket, "containerdCriSocket");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(snapshotter, "snapshotter");
    Objects.requireNonNull(hostsDir, "hostsDir");
    Objects.requireNonNull(criSocket, "criSocket");
    Objects.requireNonNull(agentSocket, "agentSocket");
    Objects.requireNonNull(socketGroup, "socketGroup");
    Objects.requireNonNull(metricsAddress, "metricsAddress");
  }
}
