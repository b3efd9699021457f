package io.rpull.dist;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.ImageReference;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.LogEvent;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.FilePermissions;
import com.google.cloud.tools.jib.api.buildplan.ImageFormat;
import com.google.cloud.tools.jib.frontend.CredentialRetrieverFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * rpull's container image, for the warm-pull DaemonSet (deploy/kubernetes): the relocatable tree
 * {@code dist/build} made, on a base image with a shell, pushed to a registry. No Docker daemon.
 *
 * <p>Two layers over the base: the Java runtime (changes with the JDK only, so nodes keep it across
 * rpull versions), then the commands and jars. Credentials come from Docker's config.json and its
 * credential helpers, as {@code docker push} would use them.
 *
 * <pre>ImageBuilder --tree DIR --from BASE --to IMAGE [--tag TAG]... [--label K=V]... [--allow-http]</pre>
 */
public final class ImageBuilder {
  private static final AbsoluteUnixPath HOME = AbsoluteUnixPath.get("/opt/rpull");
  private static final FilePermissions EXECUTABLE = FilePermissions.fromOctalString("755");

  private ImageBuilder() {}

  public static void main(String[] args) throws Exception {
    Path tree = null;
    String from = null;
    String to = null;
    boolean allowHttp = false;
    List<String> tags = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--tree" -> tree = Path.of(args[++i]);
        case "--from" -> from = args[++i];
        case "--to" -> to = args[++i];
        case "--tag" -> tags.add(args[++i]);
        case "--label" -> labels.add(args[++i]);
        case "--allow-http" -> allowHttp = true;
        default -> usage("unknown argument " + args[i]);
      }
    }
    if (tree == null || from == null || to == null) {
      usage("--tree, --from and --to are required");
    }
    if (!Files.isExecutable(tree.resolve("runtime/bin/java")) || !Files.isExecutable(tree.resolve("bin/rpull"))) {
      usage(tree + " is not a tree dist/build made");
    }
    Consumer<LogEvent> log = event -> {
      if (event.getLevel().compareTo(LogEvent.Level.LIFECYCLE) <= 0) {
        System.err.println("image: " + event.getMessage());
      }
    };
    ImageReference base = ImageReference.parse(from);
    ImageReference target = ImageReference.parse(to);
    var builder = Jib.from(RegistryImage.named(base)
            .addCredentialRetriever(CredentialRetrieverFactory.forImage(base, log).dockerConfig()))
        .setFormat(ImageFormat.OCI)
        .addFileEntriesLayer(layer("java runtime", tree, "runtime"))
        .addFileEntriesLayer(layer("rpull", tree, "bin", "lib"))
        .addEnvironmentVariable("PATH", HOME + "/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        .setEntrypoint(HOME + "/bin/rpull");
    for (String label : labels) {
      int eq = label.indexOf('=');
      if (eq < 1) {
        usage("a label is key=value, not " + label);
      }
      builder.addLabel(label.substring(0, eq), label.substring(eq + 1));
    }
    Containerizer containerizer = Containerizer.to(RegistryImage.named(target)
            .addCredentialRetriever(CredentialRetrieverFactory.forImage(target, log).dockerConfig()))
        .setToolName("rpull-dist")
        // Plain HTTP only when asked (the test registry on loopback), as the project's TLS rule says.
        .setAllowInsecureRegistries(allowHttp)
        .addEventHandler(LogEvent.class, log);
    tags.forEach(containerizer::withAdditionalTag);
    JibContainer image = builder.containerize(containerizer);
    System.out.println(target + "@" + image.getDigest());
  }

  /** The named parts of the tree, at the same places under /opt/rpull; executables stay executable. */
  private static FileEntriesLayer layer(String name, Path tree, String... parts) throws java.io.IOException {
    FileEntriesLayer.Builder layer = FileEntriesLayer.builder().setName(name);
    for (String part : parts) {
      layer.addEntryRecursive(tree.resolve(part), HOME.resolve(part), (source, inImage) ->
          Files.isDirectory(source) || Files.isExecutable(source) ? EXECUTABLE : FilePermissions.DEFAULT_FILE_PERMISSIONS);
    }
    return layer.build();
  }

  private static void usage(String problem) {
    System.err.println("image: " + problem);
    System.err.println("usage: ImageBuilder --tree DIR --from BASE --to IMAGE [--tag TAG]... [--label K=V]... [--allow-http]");
    System.exit(2);
  }
}
