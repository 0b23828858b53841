/**
 * Records larger than this are dead-lettered unread (OVERSIZED_RECORD): a transaction is about a hundred bytes of
 * Avro, so nothing legitimate is that big, and decoding an attacker's megabytes would cost the batch. Both runtimes
 * drop the same records, through the one contract reader they share (adapters/registry/contract-records.ts): the
 * online scorer (runtime/score-batch.ts) and the backfill reading a topic (backfill/kafka-source.ts).
 */
export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024;

/**
 * Times further ahead of the worker's clock than this (a transaction's event_time, a label's reported_at) are
 * dead-lettered as ABSURD_TIMESTAMP: skewed or corrupt clocks. A day is more than any real skew. For labels it also
 * guards event-time alignment: one label from the far future would lift its partition's bound past every real label.
 */
export const MAX_FUTURE_SKEW_MS = 24 * 3600 * 1000;
