import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_PRODUCE_REQUEST_BYTES, produceChunks } from '../../../src/adapters/kafka/produce-chunks.js';

const bytes = (n: number, fill = 0) => Buffer.alloc(n, fill);

describe('produce requests of a transaction', () => {
  it('keeps a batch of 1000 scores of ~700 bytes in one request', () => {
    const messages = Array.from({ length: 1000 }, (_, i) => ({ key: `customer-${i}`, value: bytes(700) }));
    const chunks = produceChunks([{ topic: 'scores', messages }]);
    assert.equal(chunks.length, 1);
    assert.equal(chunks[0]![0]!.messages.length, 1000);
  });

  it('splits outputs larger than the limit, each request within it, every message once and in order', () => {
    const deadLetters = Array.from({ length: 20 }, (_, i) => ({ key: 'k', value: bytes(60_000, i) }));
    const scores = Array.from({ length: 3 }, (_, i) => ({ key: `s${i}`, value: bytes(700, 100 + i) }));
    const chunks = produceChunks([
      { topic: 'dead', messages: deadLetters },
      { topic: 'scores', messages: scores },
    ]);
    assert.ok(chunks.length >= 2);
    for (const chunk of chunks) {
      const total = chunk.flatMap((t) => t.messages).reduce((sum, m) => sum + (m.value as Buffer).length, 0);
      assert.ok(total <= MAX_PRODUCE_REQUEST_BYTES, `a request of ${total} bytes`);
      assert.ok(
        chunk.every((t) => t.messages.length > 0),
        'no empty topic entry',
      );
    }
    const sent = (topic: string) =>
      chunks.flatMap((chunk) => chunk.filter((t) => t.topic === topic).flatMap((t) => t.messages));
    assert.deepEqual(
      sent('dead').map((m) => (m.value as Buffer)[0]),
      deadLetters.map((_, i) => i),
    );
    assert.deepEqual(sent('scores'), scores);
  });

  it('sends a message larger than the limit alone, and nothing for no outputs', () => {
    const huge = { key: null, value: bytes(MAX_PRODUCE_REQUEST_BYTES + 1) };
    const chunks = produceChunks([
      { topic: 't', messages: [{ key: 'a', value: 'x' }, huge, { key: 'b', value: 'y' }] },
    ]);
    assert.deepEqual(
      chunks.map((chunk) => chunk[0]!.messages.length),
      [1, 1, 1],
    );
    assert.deepEqual(produceChunks([]), []);
  });
});
