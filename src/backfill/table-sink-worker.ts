import { parentPort } from 'node:worker_threads';
import { LabelIndex } from './label-index.js';
import type { SinkReply, SinkRequest } from './table-sink-protocol.js';
import { writeTableRows, type RowCounts } from './table-rows.js';
import { HashingFileWriter } from './table-writer.js';

/** The table writer thread of table-sink.ts: formats, labels, splits, hashes and writes rows in arrival order. */
const port = parentPort;
if (port !== null) {
  let writer: HashingFileWriter | null = null;
  let labels = new LabelIndex();
  let asOfMs = -Infinity;
  const counts: RowCounts = { train: 0, valid: 0, test: 0, positives: 0 };
  const reply = (message: SinkReply) => port.postMessage(message);
  port.on('message', (request: SinkRequest) => {
    try {
      if (request.type === 'open') {
        labels = LabelIndex.fromData(request.labels);
        asOfMs = request.asOfMs;
        writer = new HashingFileWriter(request.path);
        writer.text(`${request.header}\n`);
      } else if (request.type === 'rows') {
        writeTableRows(writer!, request.rows, labels, asOfMs, counts);
        reply({ type: 'written' });
      } else {
        reply({ type: 'closed', summary: { ...writer!.close(), counts } });
      }
    } catch (error) {
      reply({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  });
}
