package io.rpull.fetch;

import java.io.IOException;
import java.io.InputStream;

/**
 * A stream whose work is all in {@link #read(byte[], int, int)}: blob bytes come in blocks, so the
 * single-byte read is only the contract's fallback.
 */
abstract class BlockInputStream extends InputStream {
  @Override
  public final int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public abstract int read(byte[] b, int off, int len) throws IOException;
}
