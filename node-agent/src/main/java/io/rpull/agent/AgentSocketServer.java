package io.rpull.agent;

import io.rpull.cli.PullEngines;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** The socket the rpull command line hands its commands to; one {@link AgentSession} per connection. */
final class AgentSocketServer implements AutoCloseable {
  private final Path socket;
  private final ServerSocketChannel server;
  private final ExecutorService sessions = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "rpulld-session");
    t.setDaemon(true);
    return t;
  });
  private final Thread acceptor;

  private AgentSocketServer(Path socket, ServerSocketChannel server, PullEngines engines) {
    this.socket = socket;
    this.server = server;
    this.acceptor = new Thread(() -> accept(engines), "rpulld-agent-accept");
    acceptor.setDaemon(true);
  }

  static AgentSocketServer start(Path socket, SocketFiles files, PullEngines engines) throws IOException {
    files.prepare(socket);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    files.restrict(socket);
    AgentSocketServer agent = new AgentSocketServer(socket, server, engines);
    agent.acceptor.start();
    return agent;
  }

  private void accept(PullEngines engines) {
    while (true) {
      SocketChannel client;
      try {
        client = server.accept();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        continue;
      }
      try {
        sessions.execute(new AgentSession(client, engines));
      } catch (RuntimeException | Error e) {
        // No session will answer (the executor is shutting down, or the agent's own classes cannot
        // be loaded any more): closing tells the client at once instead of leaving it waiting.
        closeQuietly(client);
        if (e instanceof VirtualMachineError) {
          throw e;
        }
      }
    }
  }

  private static void closeQuietly(SocketChannel client) {
    try {
      client.close();
    } catch (IOException e) {
      // already gone
    }
  }

  /** Stops taking commands (the socket file goes); commands in flight go on. */
  void stopAccepting() {
    try {
      server.close();
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      // nothing more to do
    }
    sessions.shutdown();
  }

  boolean awaitSessions(Duration timeout) throws InterruptedException {
    return sessions.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Stops the commands still running: their clients see the interrupt line and a resumable pull. */
  @Override
  public void close() {
    stopAccepting();
    sessions.shutdownNow();
  }
}
