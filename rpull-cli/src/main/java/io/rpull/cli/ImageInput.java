package io.rpull.cli;

import io.rpull.engine.PullError;
import io.rpull.fetch.ImageReference;
import io.rpull.fetch.InvalidReferenceException;
import io.rpull.types.Failure;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One image the user asked for: the text as given, where it came from, and its parsed reference,
 * or the usage error that says why it cannot be one. A malformed line of a batch is that line's failure, not the batch's.
 *
 * @param origin "line 3 of refs.txt", or empty for a command-line argument
 */
record ImageInput(String text, Optional<String> origin, Optional<ImageReference> reference,
    Optional<PullError> error) {

  static ImageInput of(String text, Optional<String> origin) {
    try {
      return new ImageInput(text, origin, Optional.of(ImageReference.parse(text)), Optional.empty());
    } catch (InvalidReferenceException e) {
      return new ImageInput(text, origin, Optional.empty(), Optional.of(new PullError(Failure.USAGE,
          origin.map(o -> o + ": ").orElse("") + e.getMessage(), null)));
    }
  }

  /** The references of a --from-file ({@code -} for standard input): one a line, {@code #} starts a comment. */
  static List<ImageInput> fromFile(String file, Invocation invocation) throws IOException {
    List<String> lines;
    String name;
    if (file.equals("-")) {
      name = "standard input";
      lines = new BufferedReader(new InputStreamReader(invocation.standardInput(), StandardCharsets.UTF_8)).lines()
          .toList();
    } else {
      name = file;
      lines = Files.readAllLines(invocation.resolve(Path.of(file)));
    }
    List<ImageInput> inputs = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String ref = lines.get(i).replaceAll("#.*", "").strip();
      if (!ref.isEmpty()) {
        inputs.add(of(ref, Optional.of("line " + (i + 1) + " of " + name)));
      }
    }
    return inputs;
  }
}
