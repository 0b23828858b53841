import type { DecodeResult } from '../adapters/registry/serde.js';
import type { LabelEvent, TransactionEvent } from '../core/contract/events.js';

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
  /**
   * What the contract made of it on arrival, when it accepted it (a transaction on the input topic, a label on the
   * labels topic), so that scoring does not validate it again. Acceptance holds later: the contract's only clock
   * rule is an upper bound ("at most 24 h ahead"), which a later clock only widens.
   */
  accepted?: TransactionEvent | LabelEvent;
}
