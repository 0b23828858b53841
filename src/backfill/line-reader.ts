import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';

/** What the manifest records about an input file. */
export interface InputFingerprint {
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface LineSink {
  /** Called with each line (without its line break) and its 1-based number; blank lines are skipped. */
  line(text: string, lineNumber: number): void;
}

/** 1 MiB reads: large enough that per-chunk costs vanish, small enough to stay streaming. */
const CHUNK_BYTES = 1 << 20;
const NEWLINE = 0x0a;

/**
 * Reads a UTF-8 text file line by line, streaming, hashing every byte on the way (the manifest's sha256 is of the
 * bytes actually parsed). Decodes whole chunks at once, cut at the last line break so that no multi-byte character
 * is split. Yields after each chunk so that the caller can do asynchronous work between chunks.
 */
export class LineReader {
  readonly name: string;
  private readonly hash = createHash('sha256');
  private bytesRead = 0;
  private totalBytes = 0;
  private digest: string | null = null;

  constructor(readonly path: string) {
    this.name = basename(path);
  }

  /** Bytes read so far and the file size, for progress. */
  progress(): { readonly done: number; readonly total: number } {
    return { done: this.bytesRead, total: this.totalBytes };
  }

  async *chunks(sink: LineSink): AsyncGenerator<void> {
    this.totalBytes = (await stat(this.path)).size;
    let carry: Buffer | null = null;
    let lineNumber = 0;
    let first = true;
    const emit = (text: string) => {
      let start = 0;
      for (;;) {
        const end = text.indexOf('\n', start);
        const stop = end === -1 ? text.length : end;
        lineNumber++;
        // Tolerate CRLF files: the \r belongs to the line break, not to the last field.
        const lineEnd = stop > start && text.charCodeAt(stop - 1) === 13 ? stop - 1 : stop;
        if (lineEnd > start) {
          sink.line(text.slice(start, lineEnd), lineNumber);
        }
        if (end === -1) return;
        start = end + 1;
      }
    };
    for await (const chunk of createReadStream(this.path, { highWaterMark: CHUNK_BYTES })) {
      const bytes = chunk as Buffer;
      this.hash.update(bytes);
      this.bytesRead += bytes.length;
      const data: Buffer = carry === null ? bytes : Buffer.concat([carry, bytes]);
      const lastNewline = data.lastIndexOf(NEWLINE);
      if (lastNewline === -1) {
        carry = data;
        continue;
      }
      let text = data.toString('utf8', 0, lastNewline);
      if (first) {
        // A UTF-8 byte order mark is not part of the first field.
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        first = false;
      }
      carry = lastNewline + 1 < data.length ? data.subarray(lastNewline + 1) : null;
      emit(text);
      yield;
    }
    if (carry !== null && carry.length > 0) {
      let text = carry.toString('utf8');
      if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      emit(text);
      yield;
    }
    this.digest = this.hash.digest('hex');
  }

  /** Available once chunks() has run to the end. */
  fingerprint(): InputFingerprint {
    if (this.digest === null) {
      throw new Error(`${this.name} has not been read to the end`);
    }
    return { file: this.name, bytes: this.bytesRead, sha256: this.digest };
  }
}
