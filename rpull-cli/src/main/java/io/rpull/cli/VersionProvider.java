package io.rpull.cli;

import picocli.CommandLine.IVersionProvider;

/** {@code rpull --version}: the version and commit the jar was built from. */
final class VersionProvider implements IVersionProvider {
  @Override
  public String[] getVersion() {
    return new String[] {"rpull " + BuildInfo.of(RpullCommand.class).describe()};
  }
}
