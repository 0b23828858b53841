import type { Message, TopicMessages } from 'kafkajs';

/**
 * The most one produce request of a transaction carries. kafkajs puts all of a request's messages for one partition
 * into one record batch, and the broker refuses a record batch above the topic's `max.message.bytes` (default
 * 1,048,588 bytes) with MESSAGE_TOO_LARGE: the batch would fail on every retry, and nothing behind it would commit.
 * A batch of 1000 scores is ~700 KB, so it still goes in one request; dead letters, which carry the original key
 * and value (up to 64 KiB each), can add up to more.
 */
export const MAX_PRODUCE_REQUEST_BYTES = 896 * 1024;

/** Per message, beside its key and value: the record's own framing (lengths, offsets, timestamp delta). */
const RECORD_OVERHEAD_BYTES = 32;

function sizeOf(message: Message): number {
  const { key, value } = message;
  const keyBytes = key == null ? 0 : typeof key === 'string' ? Buffer.byteLength(key) : key.length;
  const valueBytes = value == null ? 0 : typeof value === 'string' ? Buffer.byteLength(value) : value.length;
  return keyBytes + valueBytes + RECORD_OVERHEAD_BYTES;
}

/**
 * Splits the outputs into produce requests of at most `maxBytes` each (a message larger than that alone), keeping
 * every topic's messages in order: sent one after the other, each partition receives them in the order given.
 */
export function produceChunks(
  topicMessages: readonly TopicMessages[],
  maxBytes = MAX_PRODUCE_REQUEST_BYTES,
): TopicMessages[][] {
  const chunks: TopicMessages[][] = [];
  let chunk: TopicMessages[] = [];
  let chunkBytes = 0;
  for (const { topic, messages } of topicMessages) {
    let current: Message[] = [];
    for (const message of messages) {
      const bytes = sizeOf(message);
      if (chunkBytes + bytes > maxBytes && chunkBytes > 0) {
        if (current.length > 0) chunk.push({ topic, messages: current });
        chunks.push(chunk);
        chunk = [];
        current = [];
        chunkBytes = 0;
      }
      current.push(message);
      chunkBytes += bytes;
    }
    if (current.length > 0) chunk.push({ topic, messages: current });
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
