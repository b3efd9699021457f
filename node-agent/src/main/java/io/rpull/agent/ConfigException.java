package io.rpull.agent;

/** A config file or flag value rpulld cannot use; its message is the one line rpulld prints. */
final class ConfigException extends RuntimeException {
  ConfigException(String message) {
    super(message, null, false, false);
  }
}
