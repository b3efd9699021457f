package io.rpull.fetch;

import io.rpull.types.Digest;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An image reference as {@code ctr} takes it: {@code host[:port]/path[:tag][@digest]}. Parsing is
 * purely syntactic (the distribution/reference grammar) so that an invalid reference fails before
 * any network I/O. Like {@code ctr}, a registry host is required; the reference keeps the exact
 * text the user typed because that text names the image record.
 */
public record ImageReference(String registry, String repository, Optional<String> tag, Optional<Digest> digest) {
  private static final int MAX_NAME_LENGTH = 255;
  private static final String ALNUM = "[a-z0-9]+";
  private static final String SEPARATOR = "(?:[._]|__|[-]+)";
  private static final String PATH_COMPONENT = ALNUM + "(?:" + SEPARATOR + ALNUM + ")*";
  private static final String DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
  private static final String HOST =
      "(?:" + DOMAIN_COMPONENT + "(?:\\." + DOMAIN_COMPONENT + ")*|\\[[a-fA-F0-9:]+\\])";
  private static final String DOMAIN = HOST + "(?::[0-9]{1,5})?";
  private static final Pattern REFERENCE = Pattern.compile(
      "(" + DOMAIN + ")/(" + PATH_COMPONENT + "(?:/" + PATH_COMPONENT + ")*)"
          + "(?::([\\w][\\w.-]{0,127}))?"
          + "(?:@([a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+))?");

  public ImageReference {
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(repository, "repository");
    Objects.requireNonNull(tag, "tag");
    Objects.requireNonNull(digest, "digest");
    if (tag.isEmpty() && digest.isEmpty()) {
      throw new IllegalArgumentException("a reference needs a tag or a digest");
    }
  }

  public static ImageReference parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new InvalidReferenceException("", "empty reference");
    }
    Matcher m = REFERENCE.matcher(text);
    if (!m.matches()) {
      String hint = text.contains("/") ? "" : " (a registry host is required, e.g. docker.io/library/" + text + ")";
      throw new InvalidReferenceException(text, "invalid reference format" + hint);
    }
    String registry = m.group(1);
    String name = registry + "/" + m.group(2);
    if (name.length() > MAX_NAME_LENGTH) {
      throw new InvalidReferenceException(text, "repository name must not be longer than " + MAX_NAME_LENGTH);
    }
    int port = registry.lastIndexOf(':');
    if (port > registry.lastIndexOf(']') && Integer.parseInt(registry.substring(port + 1)) > 65535) {
      throw new InvalidReferenceException(text, "invalid port in registry host");
    }
    Optional<Digest> digest;
    try {
      digest = Optional.ofNullable(m.group(4)).map(Digest::parse);
    } catch (IllegalArgumentException e) {
      throw new InvalidReferenceException(text, e.getMessage());
    }
    Optional<String> tag = Optional.ofNullable(m.group(3));
    if (tag.isEmpty() && digest.isEmpty()) {
      throw new InvalidReferenceException(text, "reference needs a tag or a digest (ctr does not default to :latest)");
    }
    return new ImageReference(registry, m.group(2), tag, digest);
  }

  /** What a manifest request names: the digest when there is one, else the tag. */
  public String object() {
    return digest.map(Digest::toString).orElseGet(tag::get);
  }

  @Override
  public String toString() {
    return registry + "/" + repository + tag.map(t -> ":" + t).orElse("") + digest.map(d -> "@" + d).orElse("");
  }
}
