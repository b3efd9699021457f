package io.rpull.cli;

import picocli.CommandLine.IVersionProvider;

/** The version Maven wrote into the jar manifest. */
final class VersionProvider implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String version = RpullCommand.class.getPackage().getImplementationVersion();
    return new String[] {"rpull " + (version == null ? "development build" : version)};
  }
}
