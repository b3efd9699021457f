package io.rpull.fetch;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import okhttp3.Response;

/**
 * One plain stream for a registry that ignored our Range request and sent the whole blob: the
 * bytes before {@code offset} are skipped, and the stream must end exactly at the blob's size.
 */
final class WholeBodyStream extends BlockInputStream {
  private final Response response;
  private final InputStream body;
  private final BlobLocation blob;
  private final FetchEvents counter;
  private long remaining;

  WholeBodyStream(Response response, BlobLocation blob, long offset, FetchEvents counter) {
    this.response = response;
    this.body = response.body().byteStream();
    this.blob = blob;
    this.counter = counter;
    this.remaining = blob.size() - offset;
    try {
      body.skipNBytes(offset);
    } catch (IOException e) {
      response.close();
      throw RegistryClient.network("fetch " + blob.digest(), e);
    }
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (remaining == 0) {
      return -1;
    }
    int n = body.read(b, off, (int) Math.min(len, remaining));
    if (n < 0) {
      throw new EOFException("fetch " + blob.digest() + ": connection closed " + remaining + " bytes early");
    }
    remaining -= n;
    counter.received(blob.digest(), n);
    return n;
  }

  @Override
  public void close() {
    response.close();
  }
}
