package io.rpull.fetch;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockResponseBody;
import mockwebserver3.RecordedRequest;
import okio.Buffer;
import okio.BufferedSink;

/** Serves one blob with Range support; a test can replace the answer to any request. */
final class RangeDispatcher extends Dispatcher {
  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d+)");
  final byte[] blob;
  final List<String> ranges = new CopyOnWriteArrayList<>();
  volatile Function<long[], MockResponse> override = r -> null;

  RangeDispatcher(byte[] blob) {
    this.blob = blob;
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    String range = request.getHeaders().get("Range");
    ranges.add(range == null ? "" : range);
    if (range == null) {
      return new MockResponse.Builder().code(200).body(new Buffer().write(blob)).build();
    }
    Matcher m = RANGE.matcher(range);
    if (!m.matches()) {
      return new MockResponse.Builder().code(400).build();
    }
    long start = Long.parseLong(m.group(1));
    long end = Math.min(Long.parseLong(m.group(2)), blob.length - 1);
    MockResponse custom = override.apply(new long[] {start, end});
    if (custom != null) {
      return custom;
    }
    return partial(start, end);
  }

  MockResponse partial(long start, long end) {
    return new MockResponse.Builder().code(206)
        .addHeader("Content-Range", "bytes " + start + "-" + end + "/" + blob.length)
        .body(new Buffer().write(blob, (int) start, (int) (end - start + 1)))
        .build();
  }

  /** A 206 that promises the whole range but breaks the connection after {@code sent} bytes. */
  MockResponse truncated(long start, long end, int sent) {
    byte[] part = java.util.Arrays.copyOfRange(blob, (int) start, (int) start + sent);
    return new MockResponse.Builder().code(206)
        .addHeader("Content-Range", "bytes " + start + "-" + end + "/" + blob.length)
        .body(new MockResponseBody() {
          @Override
          public long getContentLength() {
            return end - start + 1;
          }

          @Override
          public void writeTo(BufferedSink sink) throws IOException {
            sink.write(part);
            sink.flush();
            throw new IOException("test: connection dropped mid-body");
          }
        })
        .build();
  }
}
