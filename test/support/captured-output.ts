import { Writable } from 'node:stream';

/** A stream that keeps what is written to it (a logger's or a progress printer's output), for tests to read. */
export function capturedOutput(): { stream: Writable; text: () => string; lines: () => string[] } {
  let text = '';
  return {
    stream: new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      },
    }),
    text: () => text,
    lines: () => text.split('\n').filter((line) => line.length > 0),
  };
}
