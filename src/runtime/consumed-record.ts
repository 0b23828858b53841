import type { DecodeResult } from '../adapters/registry/serde.js';

/** A record as the runner hands it to a batch: where it came from, and its raw bytes. */
export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offsets are int64 strings; kept as strings to the commit. */
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Decoded on arrival (for its event time), so that scoring does not decode it again. */
  decoded?: DecodeResult;
}
