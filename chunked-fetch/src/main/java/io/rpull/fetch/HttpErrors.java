package io.rpull.fetch;

import io.rpull.types.Failure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.Response;
import okhttp3.ResponseBody;

/** Turns registry error answers into one-line, sanitised exceptions of the right kind. */
final class HttpErrors {
  private static final int MAX_ERROR_BODY = 64 * 1024;
  private static final Pattern MESSAGE = Pattern.compile("\"message\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

  private HttpErrors() {}

  /**
   * Returns when {@code response} succeeded; a status that says "later" becomes a retryable
   * exception for the {@link RetryPolicy}, any other failure an answer of its class.
   */
  static void throwIfFailed(Response response, String what) throws RetryPolicy.RetryableStatusException {
    if (response.isSuccessful()) {
      return;
    }
    if (RetryPolicy.isRetryableStatus(response.code())) {
      throw retryLater(response, what);
    }
    throw of(response, what);
  }

  /** A "not now" status (429, 503, ...) as the retry policy takes it, with the server's Retry-After. */
  static RetryPolicy.RetryableStatusException retryLater(Response response, String what) {
    return new RetryPolicy.RetryableStatusException(what + ": " + response.code() + " " + statusText(response.code()),
        RetryPolicy.RetryableStatusException.parseRetryAfter(response.header("Retry-After")));
  }

  static RegistryException of(Response response, String what) {
    int code = response.code();
    String detail = registryMessage(response);
    String message = what + ": " + code + " " + statusText(code) + (detail.isEmpty() ? "" : " (" + detail + ")");
    Failure kind = switch (code) {
      case 404 -> Failure.NOT_FOUND;
      case 401, 403 -> Failure.AUTH;
      default -> Failure.NETWORK;
    };
    if (code == 401) {
      message = message + ": the registry refused the credentials; check --user or your docker config";
    }
    return new RegistryException(kind, code == 404 ? what + ": not found" : message);
  }

  private static String registryMessage(Response response) {
    ResponseBody body = response.body();
    try {
      byte[] bytes = body.source().peek().readByteArray(Math.min(MAX_ERROR_BODY, Math.max(0, body.contentLength() < 0
          ? MAX_ERROR_BODY : body.contentLength())));
      Matcher m = MESSAGE.matcher(new String(bytes, StandardCharsets.UTF_8));
      return m.find() ? sanitize(m.group(1)) : "";
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  /** One printable line: registry text must not move the cursor or forge log lines. */
  static String sanitize(String text) {
    String clean = text.replaceAll("\\p{Cntrl}", " ").strip();
    return clean.length() > 200 ? clean.substring(0, 200) + "…" : clean;
  }

  private static String statusText(int code) {
    return switch (code) {
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 408 -> "Request Timeout";
      case 416 -> "Range Not Satisfiable";
      case 429 -> "Too Many Requests";
      case 500 -> "Internal Server Error";
      case 502 -> "Bad Gateway";
      case 503 -> "Service Unavailable";
      case 504 -> "Gateway Timeout";
      default -> "";
    };
  }
}
