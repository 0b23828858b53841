import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';

/** 4 MiB writes: a handful of system calls per million rows. */
const FLUSH_CHARS = 4 << 20;

/**
 * An append-only text file written in large chunks and hashed as written (the manifest carries the SHA-256 of the
 * exact bytes). Synchronous writes: the backfill is a batch job with nothing else to do while a chunk is written,
 * and it keeps the hot loop free of promises.
 */
export class HashingFileWriter {
  private readonly fd: number;
  private readonly hash = createHash('sha256');
  private parts: string[] = [];
  private pendingChars = 0;
  private bytes = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  write(text: string): void {
    this.parts.push(text);
    this.pendingChars += text.length;
    if (this.pendingChars >= FLUSH_CHARS) {
      this.flush();
    }
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
    if (this.parts.length === 0) return;
    const chunk = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.pendingChars = 0;
    this.hash.update(chunk);
    let written = 0;
    while (written < chunk.length) {
      written += writeSync(this.fd, chunk, written);
    }
    this.bytes += chunk.length;
  }
}
