package io.rpull.fetch;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;

/**
 * A blob's bytes that survive the loss of the host serving them: when the stream in use breaks, the
 * blob is opened again at the byte reached, through the hosts in order, as containerd's fetcher
 * tries them. A mirror that goes away mid-blob (a pull-through cache restarted, a P2P daemon killed)
 * is skipped and the registry serves the rest; a registry that ignored Range and cut its whole-body
 * answer is asked again from the byte. Chunked streams resume each chunk on their own host first;
 * this is for when that host is gone. The retry policy bounds the reopenings.
 */
final class ResumingBlobStream extends BlockInputStream {
  /** Opens the blob at an offset, through the hosts in order (mirrors first). */
  @FunctionalInterface
  interface Opener {
    InputStream open(long offset);
  }

  private final Opener opener;
  private final RetryPolicy.Attempts reopenings;
  private final long size;
  private final boolean otherHosts;
  private InputStream current;
  private long position;

  ResumingBlobStream(Opener opener, RetryPolicy.Attempts reopenings, long offset, long size, boolean otherHosts) {
    this.opener = opener;
    this.reopenings = reopenings;
    this.position = offset;
    this.size = size;
    this.otherHosts = otherHosts;
    this.current = opener.open(offset);
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    while (true) {
      try {
        int n = current.read(b, off, len);
        if (n > 0) {
          position += n;
        }
        return n;
      } catch (IOException e) {
        reopenAfter(e);
      }
    }
  }

  @Override
  public long transferTo(OutputStream out) throws IOException {
    long start = position;
    Counting counting = new Counting(out);
    while (true) {
      try {
        current.transferTo(counting);
        return position - start;
      } catch (IOException e) {
        if (counting.sinkFailed) {
          throw e; // the writer's failure, not the source's: nothing to fetch again
        }
        reopenAfter(e);
      }
    }
  }

  private void reopenAfter(IOException failure) throws IOException {
    if (failure instanceof InterruptedIOException || position >= size
        || !(otherHosts || current instanceof WholeBodyStream)) {
      throw failure;
    }
    reopenings.failed(failure);
    current.close();
    current = opener.open(position);
  }

  @Override
  public void close() throws IOException {
    current.close();
  }

  /** Counts what reached the writer, so that a reopening starts at the next byte. */
  private final class Counting extends OutputStream {
    private final OutputStream out;
    boolean sinkFailed;

    Counting(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      try {
        out.write(b, off, len);
      } catch (IOException | RuntimeException e) {
        sinkFailed = true;
        throw e;
      }
      position += len;
    }

    @Override
    public void flush() throws IOException {
      try {
        out.flush();
      } catch (IOException | RuntimeException e) {
        sinkFailed = true;
        throw e;
      }
    }
  }
}
