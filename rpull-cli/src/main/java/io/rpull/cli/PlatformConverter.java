package io.rpull.cli;

import io.rpull.types.Platform;
import picocli.CommandLine;

/** {@code --platform os/arch[/variant]}. */
final class PlatformConverter implements CommandLine.ITypeConverter<Platform> {
  @Override
  public Platform convert(String value) {
    try {
      return Platform.parse(value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }
}
