import { parentPort } from 'node:worker_threads';
import { LabelIndex } from './label-index.js';
import type { SinkReply, SinkRequest } from './table-sink-protocol.js';
import { createTableEncoder, type TableEncoder } from './table-encoder.js';
import type { RowCounts } from './table-rows.js';

/** The table writer thread of table-sink.ts: labels, splits, encodes, hashes and writes rows in arrival order. */
const port = parentPort;
if (port !== null) {
  let encoder: TableEncoder | null = null;
  const labels = new LabelIndex();
  let asOfMs = -Infinity;
  const counts: RowCounts = { train: 0, valid: 0, test: 0, positives: 0, reusedIdRows: 0 };
  const reply = (message: SinkReply) => port.postMessage(message);
  port.on('message', (request: SinkRequest) => {
    try {
      if (request.type === 'labels') {
        labels.add(request.labels);
      } else if (request.type === 'open') {
        asOfMs = request.asOfMs;
        encoder = createTableEncoder(request.format, request.path, request.columns);
      } else if (request.type === 'rows') {
        encoder!.append(request.rows, labels, asOfMs, counts);
        reply({ type: 'written' });
      } else {
        reply({ type: 'closed', summary: { ...encoder!.close(), counts } });
      }
    } catch (error) {
      reply({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  });
}
