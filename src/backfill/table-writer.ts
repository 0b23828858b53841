import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';

/** 4 MiB chunks: a handful of system calls per million rows. */
const CHUNK_BYTES = 4 << 20;
/** Room kept free before each row: a row of three 128-character ids and 20 numbers is far below this. */
const ROW_HEADROOM = 64 << 10;

/**
 * An append-only file written through one reused byte buffer, hashed as written (the manifest carries the SHA-256
 * of the exact bytes, whatever the table format). Text goes straight into the buffer field by field: building each row as a string first, and
 * keeping tens of thousands of them until a flush, made the garbage collector the largest cost of the backfill.
 * Synchronous writes: the backfill is a batch job with nothing else to do meanwhile, and the hot loop stays free of
 * promises.
 */
export class HashingFileWriter {
  private readonly fd: number;
  private readonly hash = createHash('sha256');
  private readonly buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  private bytes = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  /** Call before each row: makes room for it. */
  reserveRow(): void {
    if (this.used > CHUNK_BYTES - ROW_HEADROOM) {
      this.flush();
    }
  }

  /** UTF-8 text. A text longer than the headroom is written in a chunk of its own. */
  text(value: string): void {
    if (value.length * 3 > CHUNK_BYTES - this.used) {
      this.flush();
      if (value.length * 3 > CHUNK_BYTES) {
        this.writeChunk(Buffer.from(value, 'utf8'));
        return;
      }
    }
    this.used += this.buffer.write(value, this.used, 'utf8');
  }

  /** Raw bytes (an encoded Parquet row group), in order after everything written before. */
  raw(chunk: Uint8Array): void {
    this.flush();
    this.writeChunk(chunk);
  }

  /** Flushes, closes, and returns the size and SHA-256 of everything written. */
  close(): { readonly bytes: number; readonly sha256: string } {
    this.flush();
    closeSync(this.fd);
    return { bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  /** For a failed run: close without caring about the content. */
  abandon(): void {
    try {
      closeSync(this.fd);
    } catch {
      // Already closed.
    }
  }

  private flush(): void {
    if (this.used > 0) {
      this.writeChunk(this.buffer.subarray(0, this.used));
      this.used = 0;
    }
  }

  private writeChunk(chunk: Uint8Array): void {
    this.hash.update(chunk);
    let written = 0;
    while (written < chunk.length) {
      written += writeSync(this.fd, chunk, written);
    }
    this.bytes += chunk.length;
  }
}
