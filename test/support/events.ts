import type { TestProducer } from './stack.js';

export interface TestEvent {
  transaction_id: string;
  event_time: number;
  customer_id: string;
  terminal_id: string;
  amount: number;
  currency: string;
}

/** Deterministic valid events spread over ten days: a few customers and shared terminals, so windows fill up. */
export function validEvents(count: number, prefix: string, startMs = Date.UTC(2026, 0, 5)): TestEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    transaction_id: `${prefix}-${i}`,
    event_time: startMs + Math.floor((i * 10 * 86_400_000) / count),
    customer_id: `c-${i % 53}`,
    terminal_id: `t-${(i * 7) % 19}`,
    amount: Math.round(((i * 37) % 20_000) + 1) / 100,
    currency: 'EUR',
  }));
}

/** One of each kind of bad input, as bytes on the wire, with the dead-letter reason each must get. */
export function hostileValues(producer: TestProducer, prefix: string): { value: Buffer | null; reason: string }[] {
  const good = validEvents(1, `${prefix}-base`)[0]!;
  const encode = (patch: Partial<Record<keyof TestEvent, unknown>>) =>
    producer.serde.encode(producer.transactionSchemaId, { ...good, ...patch });
  const unknownSchema = Buffer.from(encode({}));
  unknownSchema.writeUInt32BE(987_654_321, 1);
  return [
    { value: Buffer.from('{"transaction_id":"json-not-avro"}'), reason: 'NOT_WIRE_FORMAT' },
    { value: Buffer.from([0, 0, 0]), reason: 'NOT_WIRE_FORMAT' },
    { value: unknownSchema, reason: 'UNKNOWN_SCHEMA_ID' },
    { value: encode({}).subarray(0, 12), reason: 'UNDECODABLE_BODY' },
    { value: null, reason: 'MISSING_VALUE' },
    { value: encode({ transaction_id: `${prefix}-nan`, amount: Number.NaN }), reason: 'INVALID_AMOUNT' },
    { value: encode({ transaction_id: `${prefix}-inf`, amount: Number.NEGATIVE_INFINITY }), reason: 'INVALID_AMOUNT' },
    { value: encode({ transaction_id: `${prefix}-neg`, amount: -5 }), reason: 'INVALID_AMOUNT' },
    { value: encode({ transaction_id: `${prefix}-old`, event_time: 0 }), reason: 'ABSURD_TIMESTAMP' },
    { value: encode({ transaction_id: '' }), reason: 'INVALID_FIELD' },
    { value: encode({ transaction_id: `${prefix}-cur`, currency: 'euro' }), reason: 'INVALID_FIELD' },
    { value: Buffer.concat([encode({}).subarray(0, 5), Buffer.alloc(70_000, 1)]), reason: 'OVERSIZED_RECORD' },
  ];
}
