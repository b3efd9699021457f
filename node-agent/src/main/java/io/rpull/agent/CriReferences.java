package io.rpull.agent;

/**
 * Image names as containerd's CRI normalises them (docker's reference rules): a name without a
 * registry is on docker.io, a single-component name there is under {@code library/}, a name
 * without tag or digest is {@code :latest}, and a digest wins over a tag.
 */
final class CriReferences {
  private CriReferences() {}

  static String normalize(String image) {
    String name = image.strip();
    int at = name.indexOf('@');
    String digest = at < 0 ? "" : name.substring(at);
    String repoAndTag = at < 0 ? name : name.substring(0, at);
    int slash = repoAndTag.indexOf('/');
    String first = slash < 0 ? "" : repoAndTag.substring(0, slash);
    boolean hasHost = slash >= 0 && (first.contains(".") || first.contains(":") || first.equals("localhost"));
    String full = hasHost ? repoAndTag : slash < 0 ? "docker.io/library/" + repoAndTag : "docker.io/" + repoAndTag;
    int lastSlash = full.lastIndexOf('/');
    int colon = full.indexOf(':', lastSlash + 1);
    if (!digest.isEmpty()) {
      return (colon < 0 ? full : full.substring(0, colon)) + digest;
    }
    return colon < 0 ? full + ":latest" : full;
  }
}
