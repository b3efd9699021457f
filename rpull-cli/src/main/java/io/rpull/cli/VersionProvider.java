package io.rpull.cli;

import picocli.CommandLine.IVersionProvider;

/** The version Maven wrote into the jar manifest. */
final class VersionProvider implements IVersionProvider {
  @Override
  public String[] getVersion() {
    return new String[] {"rpull " + version()};
  }

  String version() {
    String version = RpullCommand.class.getPackage().getImplementationVersion();
    return version == null ? "dev" : version;
  }
}
