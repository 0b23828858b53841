/**
 * Records larger than this are dead-lettered unread (OVERSIZED_RECORD): a transaction is about a hundred bytes of
 * Avro, so nothing legitimate is that big, and decoding an attacker's megabytes would cost the batch. Both runtimes
 * drop the same records, through the one contract reader they share (adapters/registry/contract-records.ts): the
 * online scorer (runtime/score-batch.ts) and the backfill reading a topic (backfill/kafka-source.ts).
 */
export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024;
