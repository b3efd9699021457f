package io.rpull.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Sizes such as {@code 8MiB}, {@code 512KiB}, {@code 4M} or a plain byte count. */
public final class ByteSize implements CommandLine.ITypeConverter<Integer> {
  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmg]?)(i?b?)");

  @Override
  public Integer convert(String value) {
    Matcher m = SIZE.matcher(value.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new CommandLine.TypeConversionException("invalid size \"" + value + "\" (use e.g. 8MiB)");
    }
    long n = Long.parseLong(m.group(1));
    long bytes = switch (m.group(2)) {
      case "k" -> n << 10;
      case "m" -> n << 20;
      case "g" -> n << 30;
      default -> n;
    };
    if (bytes > Integer.MAX_VALUE) {
      throw new CommandLine.TypeConversionException("size \"" + value + "\" is too large");
    }
    return (int) bytes;
  }
}
