/** A record as the runner hands it to a batch: where it came from, and its raw bytes. */
export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offsets are int64 strings; kept as strings to the commit. */
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}
