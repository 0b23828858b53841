/**
 * Hostile and valid record values for the input and labels topics, as fast-check arbitraries: the bytes a broken or
 * malicious upstream could put on the wire, each with the outcomes a correct pipeline may give it. Used by
 * test/integration/contract/fuzz.test.ts (in process and through Kafka).
 *
 * The schemas are registered in the real registry, the way upstream producers would: the contract's transaction and
 * label schemas, a v2 of the transaction schema compatible both ways, and "rogue" schemas under subjects of their own
 * (a transaction whose amount is a string, ...). Values are encoded here with avsc directly, not with the serde under
 * test, so that an encoder bug cannot hide a decoder bug.
 */
import avro from 'avsc';
import fc from 'fast-check';
import type { Topology } from '../../src/config/index.js';
import { readContractSchema } from '../../src/adapters/registry/contract-schemas.js';
import { DEFAULT_MAX_RECORD_BYTES } from '../../src/core/contract/limits.js';
import { DeadLetterReason } from '../../src/core/contract/reasons.js';
import { TransactionContract } from '../../src/core/contract/validate-transaction.js';
import { STACK } from './stack.js';

/** A transaction that must be scored. */
export const SCORED = 'SCORED';
/** A label that must be recorded into the feature state (labels get no output record). */
export const RECORDED = 'RECORDED';
export type Outcome = typeof SCORED | typeof RECORDED | DeadLetterReason;

export const DEAD_LETTER_REASONS: readonly DeadLetterReason[] = Object.values(DeadLetterReason);

export interface Payload {
  /** The defect class, for the tally printed at the end. */
  readonly kind: string;
  readonly topic: 'input' | 'labels';
  readonly value: Buffer | null;
  /** What a correct pipeline may do with it; several only where the defect class does not determine the reason. */
  readonly expect: readonly Outcome[];
}

const DAY_MS = 86_400_000;
const HEADER_BYTES = 5;
/** avsc reads and writes longs within ±(2^53 - 2) only ("potential precision loss" beyond). */
const AVRO_MAX_LONG = 9_007_199_254_740_990;
/**
 * avsc writes negative longs exactly down to -2^52 only (its zigzag arithmetic is floating point): the generators
 * stay within that, and values beyond are put on the wire byte by byte (avroLong).
 */
const AVSC_EXACT_MIN_LONG = -(2 ** 52);
const { maxIdLength, maxAmount, minEventTimeMs, maxFutureSkewMs } = TransactionContract;

export interface TransactionValue {
  transaction_id: string;
  event_time: number;
  customer_id: string;
  terminal_id: string;
  amount: number;
  currency: string;
  channel: string | null;
  merchant_category: string | null;
  attributes: Record<string, string>;
}

/**
 * v2 of schemas/transaction.avsc as an upstream team would evolve it: three new fields, each with a default, so that
 * it is compatible both ways (the contract reads it: FORWARD_TRANSITIVE holds). A map and an array among them: reading v2 as v1 skips them, which exercises the
 * skip path of the decoder with hostile block counts.
 */
export function transactionSchemaV2(): object {
  const v1 = readContractSchema('transaction') as { fields: object[] };
  return {
    ...v1,
    fields: [
      ...v1.fields,
      { name: 'device_id', type: ['null', 'string'], default: null },
      { name: 'risk_hints', type: { type: 'map', values: 'string' }, default: {} },
      { name: 'tags', type: { type: 'array', items: 'string' }, default: [] },
    ],
  };
}

/** The transaction schema with one field's type replaced: what the registry refuses under the input subject. */
export function transactionSchemaWith(field: string, type: unknown): object {
  const v1 = readContractSchema('transaction') as { fields: { name: string }[] };
  return { ...v1, fields: v1.fields.map((f) => (f.name === field ? { ...f, type } : f)) };
}

/** POST /subjects/<subject>/versions on the ccompat API: what any upstream producer does before writing. */
export async function registerSchema(
  subject: string,
  schema: unknown,
): Promise<{ readonly status: number; readonly id: number | undefined; readonly body: string }> {
  const response = await fetch(`${STACK.registryUrl}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: JSON.stringify(schema) }),
  });
  const body = await response.text();
  const id = response.ok ? (JSON.parse(body) as { id: number }).id : undefined;
  return { status: response.status, id, body };
}

/** PUT /config/<subject> on the ccompat API: the subject's own compatibility level; throws unless the registry took it. */
export async function pinSubjectLevel(subject: string, level: string): Promise<void> {
  const response = await fetch(`${STACK.registryUrl}/config/${encodeURIComponent(subject)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ compatibility: level }),
  });
  if (response.status !== 200) {
    throw new Error(`setting ${subject} to ${level} failed: HTTP ${response.status} ${await response.text()}`);
  }
}

/** registerSchema, throwing unless the registry took the schema; returns its id. */
export async function mustRegister(subject: string, schema: unknown): Promise<number> {
  const { status, id, body } = await registerSchema(subject, schema);
  if (id === undefined) throw new Error(`registering ${subject} failed: HTTP ${status} ${body}`);
  return id;
}

/** Confluent wire format, written by hand: magic byte 0, schema id, Avro body. */
export function wire(schemaId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32BE(schemaId >>> 0, 1);
  return Buffer.concat([header, body]);
}

/** An Avro long (zigzag varint) of any size, so that values beyond 2^53 can be put on the wire. */
export function avroLong(value: bigint): Buffer {
  let zigzag = value >= 0n ? value << 1n : (-value << 1n) - 1n;
  const bytes: number[] = [];
  do {
    let byte = Number(zigzag & 0x7fn);
    zigzag >>= 7n;
    if (zigzag > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (zigzag > 0n);
  return Buffer.from(bytes);
}

export interface HostileContext {
  /** The clock the contract's time bounds are taken from. */
  readonly nowMs: number;
  /**
   * Event times meant to be too far in the future are at least this much beyond the bound: a pipeline whose clock
   * runs later than nowMs (the end-to-end test) must still see them as absurd. 0 in process, with an injected clock.
   */
  readonly clockSlackMs: number;
  readonly maxRecordBytes: number;
  readonly ids: {
    readonly transaction: number;
    readonly transactionV2: number;
    readonly label: number;
    readonly score: number;
    readonly amountAsString: number;
    readonly eventTimeAsString: number;
    readonly notARecord: number;
  };
  readonly types: {
    readonly transaction: avro.Type;
    readonly transactionV2: avro.Type;
    readonly label: avro.Type;
    readonly score: avro.Type;
    readonly amountAsString: avro.Type;
    readonly eventTimeAsString: avro.Type;
  };
}

/**
 * Registers what upstream (and a confused upstream) would: the contract schemas under the topology's subjects, v2
 * under the input subject (compatible both ways, so accepted), and incompatible variants under subjects of their own.
 */
export async function prepareHostileContext(
  topology: Topology,
  nowMs: number,
  clockSlackMs = 0,
  maxRecordBytes = DEFAULT_MAX_RECORD_BYTES,
): Promise<HostileContext> {
  const { input, labels, output } = topology.topics;
  const schemas = {
    transaction: readContractSchema('transaction'),
    transactionV2: transactionSchemaV2(),
    label: readContractSchema('label'),
    score: readContractSchema('score'),
    amountAsString: transactionSchemaWith('amount', 'string'),
    eventTimeAsString: transactionSchemaWith('event_time', 'string'),
  };
  const ids = {
    transaction: await mustRegister(`${input}-value`, schemas.transaction),
    transactionV2: await mustRegister(`${input}-value`, schemas.transactionV2),
    label: await mustRegister(`${labels}-value`, schemas.label),
    score: await mustRegister(`${output}-value`, schemas.score),
    amountAsString: await mustRegister(`${input}.rogue-amount-value`, schemas.amountAsString),
    eventTimeAsString: await mustRegister(`${input}.rogue-time-value`, schemas.eventTimeAsString),
    notARecord: await mustRegister(`${input}.rogue-string-value`, 'string'),
  };
  const type = (schema: object) => avro.Type.forSchema(schema as avro.Schema);
  return {
    nowMs,
    clockSlackMs,
    maxRecordBytes,
    ids,
    types: {
      transaction: type(schemas.transaction),
      transactionV2: type(schemas.transactionV2),
      label: type(schemas.label),
      score: type(schemas.score),
      amountAsString: type(schemas.amountAsString),
      eventTimeAsString: type(schemas.eventTimeAsString),
    },
  };
}

const ANY_TRANSACTION_OUTCOME: readonly Outcome[] = [SCORED, ...DEAD_LETTER_REASONS];
const ANY_LABEL_OUTCOME: readonly Outcome[] = [RECORDED, ...DEAD_LETTER_REASONS];

/** What the first bytes alone decide (in the pipeline's order: size, presence, wire format), else `otherwise`. */
export function byShape(ctx: HostileContext, value: Buffer | null, otherwise: readonly Outcome[]): readonly Outcome[] {
  if (value === null || value.length === 0) return [DeadLetterReason.MissingValue];
  if (value.length > ctx.maxRecordBytes) return [DeadLetterReason.OversizedRecord];
  if (value.length < HEADER_BYTES || value[0] !== 0) return [DeadLetterReason.NotWireFormat];
  return otherwise;
}

const printable = (minLength: number, maxLength: number) =>
  fc.string({
    unit: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)),
    minLength,
    maxLength,
  });

/** Ids the contract accepts: mostly from small pools (so that windows fill up), some arbitrary, both length edges. */
function validId(prefix: string, pool: number): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: pool - 1 }).map((i) => `${prefix}${i}`) },
    { weight: 2, arbitrary: printable(1, maxIdLength) },
    { weight: 1, arbitrary: fc.constantFrom('x', 'y'.repeat(maxIdLength), '~!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}') },
  );
}

export function validTransaction(ctx: HostileContext): fc.Arbitrary<TransactionValue> {
  const latest = ctx.nowMs + maxFutureSkewMs;
  return fc.record({
    transaction_id: fc.oneof({ weight: 4, arbitrary: fc.uuid() }, { weight: 1, arbitrary: validId('tx-', 50) }),
    event_time: fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: ctx.nowMs - 40 * DAY_MS, max: ctx.nowMs }) },
      { weight: 2, arbitrary: fc.integer({ min: minEventTimeMs, max: latest }) },
      // The edges of the contract are inside it.
      { weight: 1, arbitrary: fc.constantFrom(minEventTimeMs, latest) },
    ),
    customer_id: validId('c-', 40),
    terminal_id: validId('t-', 25),
    amount: fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 0, max: 500_000 }).map((cents) => cents / 100) },
      { weight: 2, arbitrary: fc.double({ min: 0, max: maxAmount, noNaN: true }) },
      // -0 and the smallest double are >= 0; 0.005 rounds to one cent; the maximum is allowed.
      { weight: 1, arbitrary: fc.constantFrom(0, -0, Number.MIN_VALUE, 0.005, maxAmount, maxAmount - 0.01) },
    ),
    currency: fc.oneof(fc.constantFrom('EUR', 'USD', 'GBP'), fc.stringMatching(/^[A-Z]{3}$/)),
    channel: fc.option(fc.string({ maxLength: 16 }), { nil: null }),
    merchant_category: fc.option(fc.string({ maxLength: 8 }), { nil: null }),
    attributes: fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 24 }), { maxKeys: 3 }),
  });
}

interface Mutation {
  readonly field: keyof TransactionValue;
  readonly value: unknown;
  readonly reason: DeadLetterReason;
}

function mutation(ctx: HostileContext): fc.Arbitrary<Mutation> {
  const forbidden = fc.constantFrom(' ', '\u0000', '\t', '\n', '\u007f', 'é', '€', '\u{1F4B3}', '\u2028', '\uFFFD');
  const badId = fc.oneof(
    fc.constant(''),
    fc.constant('z'.repeat(maxIdLength + 1)),
    printable(maxIdLength + 1, 4 * maxIdLength),
    fc.tuple(printable(0, 20), forbidden, printable(0, 20)).map(([a, b, c]) => a + b + c),
  );
  const idField = fc.constantFrom('transaction_id', 'customer_id', 'terminal_id') as fc.Arbitrary<
    'transaction_id' | 'customer_id' | 'terminal_id'
  >;
  const firstTooLate = ctx.nowMs + maxFutureSkewMs + 1 + ctx.clockSlackMs;
  const absurdTime = fc.oneof(
    fc.integer({ min: AVSC_EXACT_MIN_LONG, max: minEventTimeMs - 1 }),
    fc.integer({ min: firstTooLate, max: AVRO_MAX_LONG }),
    fc.constantFrom(0, -1, minEventTimeMs - 1, firstTooLate, AVRO_MAX_LONG, AVSC_EXACT_MIN_LONG),
  );
  const badAmount = fc.oneof(
    fc.constantFrom(Number.NaN, Infinity, -Infinity, -0.01, -Number.MIN_VALUE, -1e308, maxAmount + 0.01, 1e18),
    fc.constant(Number.MAX_VALUE),
    // fast-check orders -0 below 0: keep only what the contract calls negative.
    fc.double({ max: 0 }).filter((amount) => Number.isNaN(amount) || amount < 0),
    fc.double({ min: maxAmount, minExcluded: true }),
  );
  const badCurrency = fc.oneof(
    fc.constantFrom('', 'eur', 'EURO', 'EU', 'E1R', 'ÉUR', ' EU', 'EUR\u0000'),
    fc.string({ maxLength: 6 }).filter((text) => !/^[A-Z]{3}$/.test(text)),
  );
  return fc.oneof(
    fc.tuple(idField, badId).map(([field, value]) => ({ field, value, reason: DeadLetterReason.InvalidField })),
    absurdTime.map((value) => ({ field: 'event_time' as const, value, reason: DeadLetterReason.AbsurdTimestamp })),
    badAmount.map((value) => ({ field: 'amount' as const, value, reason: DeadLetterReason.InvalidAmount })),
    badCurrency.map((value) => ({ field: 'currency' as const, value, reason: DeadLetterReason.InvalidField })),
  );
}

function encodeTransaction(ctx: HostileContext, value: TransactionValue, v2 = false): Buffer {
  if (!v2) return wire(ctx.ids.transaction, ctx.types.transaction.toBuffer(value));
  const extra = { device_id: 'dev-1', risk_hints: { source: 'v2' }, tags: ['a', 'b'] };
  return wire(ctx.ids.transactionV2, ctx.types.transactionV2.toBuffer({ ...value, ...extra }));
}

/** A valid transaction padded (in `attributes`, ignored by the model) to exactly `size` bytes on the wire. */
export function paddedTo(ctx: HostileContext, value: TransactionValue, size: number): Buffer {
  let pad = Math.max(0, size - encodeTransaction(ctx, value).length);
  // The pad's length prefix may grow by a byte as the pad grows: a second or third round settles it.
  for (let round = 0; round < 4 && pad >= 0; round++) {
    const bytes = encodeTransaction(ctx, { ...value, attributes: { ...value.attributes, pad: 'p'.repeat(pad) } });
    if (bytes.length === size) return bytes;
    pad += size - bytes.length;
  }
  throw new Error(`cannot pad a record to exactly ${size} bytes`);
}

/** Where the body's last byte (the end of the `attributes` or, in v2, the `tags` block list) can be replaced. */
function withLastBlockHeader(bytes: Buffer, header: Buffer): Buffer {
  return Buffer.concat([bytes.subarray(0, bytes.length - 1), header]);
}

/**
 * Block headers no honest encoder writes: item counts far beyond the record's size (avsc alone would loop over
 * them: minutes to for ever), and negative counts whose byte size is negative (which would move a skipping reader
 * backwards into an endless loop) or too large.
 */
export const HOSTILE_BLOCK_HEADERS: readonly Buffer[] = [
  avroLong(2n ** 31n - 1n),
  avroLong(2n ** 62n),
  avroLong(1000n),
  Buffer.concat([avroLong(-(2n ** 40n)), avroLong(3n)]),
  Buffer.concat([avroLong(-1n), avroLong(-2n)]),
  Buffer.concat([avroLong(-1n), avroLong(-100n)]),
  Buffer.concat([avroLong(-3n), avroLong(2n ** 50n)]),
];

/** A transaction (v1, or v2 whose trailing map and array a v1 reader must skip) with a hostile last block header. */
export function hostileBlockRecord(ctx: HostileContext, value: TransactionValue, header: Buffer, v2: boolean): Buffer {
  const plain = { ...value, attributes: {} };
  const bytes = v2
    ? wire(
        ctx.ids.transactionV2,
        ctx.types.transactionV2.toBuffer({ ...plain, device_id: null, risk_hints: {}, tags: [] }),
      )
    : wire(ctx.ids.transaction, ctx.types.transaction.toBuffer(plain));
  return withLastBlockHeader(bytes, header);
}

/** transaction_id's length prefix replaced: beyond the record, or negative. */
function hostileStringLength(ctx: HostileContext, value: TransactionValue, length: bigint): Buffer {
  const body = ctx.types.transaction.toBuffer(value);
  const idBytes = Buffer.byteLength(value.transaction_id);
  const prefix = avroLong(BigInt(idBytes)).length;
  return wire(ctx.ids.transaction, Buffer.concat([avroLong(length), body.subarray(prefix)]));
}

/**
 * event_time written byte by byte: beyond ±(2^53 - 2) (a long that cannot be read as an exact number), or a negative
 * one of magnitude above 2^52 (which stock avsc reads with the wrong sign).
 */
export const EXTREME_LONGS: readonly (readonly [bigint, 'exact' | 'too large'])[] = [
  [2n ** 53n - 1n, 'too large'],
  [2n ** 53n, 'too large'],
  [2n ** 60n, 'too large'],
  [-(2n ** 60n), 'too large'],
  [2n ** 63n - 1n, 'too large'],
  [-(2n ** 63n), 'too large'],
  [-(2n ** 52n) - 1n, 'exact'],
  [-(2n ** 53n) + 2n, 'exact'],
];

function extremeEventTime(ctx: HostileContext, value: TransactionValue, time: bigint): Buffer {
  const body = ctx.types.transaction.toBuffer(value);
  const idBytes = Buffer.byteLength(value.transaction_id);
  const idEnd = avroLong(BigInt(idBytes)).length + idBytes;
  const timeEnd = idEnd + avroLong(BigInt(value.event_time)).length;
  return wire(ctx.ids.transaction, Buffer.concat([body.subarray(0, idEnd), avroLong(time), body.subarray(timeEnd)]));
}

const UNKNOWN_SCHEMA_IDS = [0, 2 ** 31 - 2, 2 ** 31, 3_000_000_000, 2 ** 32 - 1];

/** Every kind of input-topic payload, valid and hostile. */
export function inputPayload(ctx: HostileContext): fc.Arbitrary<Payload> {
  const valid = validTransaction(ctx);
  const p = (kind: string, value: Buffer | null, expect: readonly Outcome[]): Payload => ({
    kind,
    topic: 'input',
    value,
    expect,
  });
  const fixedUnknownId = fc.constantFrom(...UNKNOWN_SCHEMA_IDS);
  const unknownId = fc.oneof(
    { weight: 6, arbitrary: fixedUnknownId },
    { weight: 1, arbitrary: fc.integer({ min: 2 ** 31, max: 2 ** 32 - 1 }) },
  );
  const { maxRecordBytes } = ctx;
  const kinds: fc.WeightedArbitrary<Payload>[] = [
    { weight: 20, arbitrary: valid.map((v) => p('valid v1', encodeTransaction(ctx, v), [SCORED])) },
    {
      weight: 5,
      arbitrary: valid.map((v) => p('valid v2 (evolved schema)', encodeTransaction(ctx, v, true), [SCORED])),
    },
    {
      weight: 25,
      arbitrary: fc
        .tuple(valid, fc.array(mutation(ctx), { minLength: 1, maxLength: 3 }), fc.boolean())
        .map(([v, mutations, v2]) => {
          const mutated = { ...v } as Record<string, unknown>;
          for (const m of mutations) mutated[m.field] = m.value;
          const reasons = [...new Set(mutations.map((m) => m.reason))];
          const value = encodeTransaction(ctx, mutated as unknown as TransactionValue, v2);
          const kind = `field mutation: ${[...new Set(mutations.map((m) => m.field))].sort().join('+')}`;
          return p(kind, value, byShape(ctx, value, reasons));
        }),
    },
    {
      weight: 6,
      arbitrary: valid
        .map((v) => encodeTransaction(ctx, v))
        .chain((bytes) => fc.integer({ min: 0, max: bytes.length - 1 }).map((n) => bytes.subarray(0, n)))
        .map((value) => p('truncated', value, byShape(ctx, value, [DeadLetterReason.UndecodableBody]))),
    },
    {
      weight: 4,
      arbitrary: fc.tuple(valid, fc.integer({ min: 1, max: 255 })).map(([v, magic]) => {
        const value = encodeTransaction(ctx, v);
        value[0] = magic;
        return p('wrong magic byte', value, [DeadLetterReason.NotWireFormat]);
      }),
    },
    {
      weight: 4,
      arbitrary: fc.tuple(valid, unknownId).map(([v, id]) => {
        const value = encodeTransaction(ctx, v);
        value.writeUInt32BE(id, 1);
        return p('unknown schema id', value, [DeadLetterReason.UnknownSchemaId]);
      }),
    },
    {
      weight: 3,
      arbitrary: fc.tuple(valid, fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([v, extra]) => {
        const value = Buffer.concat([encodeTransaction(ctx, v), extra]);
        return p('trailing bytes', value, [DeadLetterReason.UndecodableBody]);
      }),
    },
    {
      weight: 6,
      arbitrary: fc
        .tuple(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }))
        .map(([v, edits]) => {
          const value = encodeTransaction(ctx, v);
          const body = value.length - HEADER_BYTES;
          for (const [at, byte] of edits) value[HEADER_BYTES + (at % body)] = byte;
          return p('random body bytes', value, ANY_TRANSACTION_OUTCOME);
        }),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(valid, fc.constantFrom(...HOSTILE_BLOCK_HEADERS), fc.boolean())
        .map(([v, header, v2]) =>
          p('hostile block count', hostileBlockRecord(ctx, v, header, v2), [DeadLetterReason.UndecodableBody]),
        ),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(valid, fc.constantFrom(2n ** 40n, 2n ** 62n, -1n, -(2n ** 40n), 100_000n))
        .map(([v, length]) =>
          p('hostile string length', hostileStringLength(ctx, v, length), [DeadLetterReason.UndecodableBody]),
        ),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(valid, fc.constantFrom(...EXTREME_LONGS))
        .map(([v, [time, kind]]) =>
          kind === 'exact'
            ? p('event_time below -2^52', extremeEventTime(ctx, v, time), [DeadLetterReason.AbsurdTimestamp])
            : p('event_time beyond ±(2^53 - 2)', extremeEventTime(ctx, v, time), [DeadLetterReason.UndecodableBody]),
        ),
    },
    {
      weight: 6,
      arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => {
        const value = Buffer.from(bytes);
        return p('random bytes', value, byShape(ctx, value, ANY_TRANSACTION_OUTCOME));
      }),
    },
    {
      weight: 4,
      arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => {
        const value = wire(ctx.ids.transaction, Buffer.from(bytes));
        return p('registered id, random body', value, ANY_TRANSACTION_OUTCOME);
      }),
    },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom<[string, Buffer | null]>(['null value', null], ['empty value', Buffer.alloc(0)])
        .map(([kind, value]) => p(kind, value, [DeadLetterReason.MissingValue])),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(valid, fc.integer({ min: maxRecordBytes + 1, max: maxRecordBytes + 100_000 }), fc.boolean())
        .map(([v, size, junk]) => {
          const value = junk ? Buffer.alloc(size, 0xab) : paddedTo(ctx, v, size);
          return p('oversized', value, [DeadLetterReason.OversizedRecord]);
        }),
    },
    {
      weight: 1,
      arbitrary: valid.map((v) => p('exactly the size limit', paddedTo(ctx, v, maxRecordBytes), [SCORED])),
    },
    { weight: 5, arbitrary: foreignSchema(ctx).map(([kind, value]) => p(kind, value, [DeadLetterReason.WrongSchema])) },
  ];
  return fc.oneof(...kinds);
}

/** Records written with a schema the input topic does not carry: another subject's, or a changed field type. */
function foreignSchema(ctx: HostileContext): fc.Arbitrary<[string, Buffer]> {
  const { ids, types } = ctx;
  const label = fc.record({ transaction_id: printable(1, 40), is_fraud: fc.boolean(), reported_at: fc.nat() });
  return fc.oneof(
    label.map((l): [string, Buffer] => ['label schema on the input topic', wire(ids.label, types.label.toBuffer(l))]),
    validTransaction(ctx).map((v): [string, Buffer] => [
      'amount as string',
      wire(ids.amountAsString, types.amountAsString.toBuffer({ ...v, amount: String(v.amount) })),
    ]),
    validTransaction(ctx).map((v): [string, Buffer] => [
      'event_time as string',
      wire(
        ids.eventTimeAsString,
        types.eventTimeAsString.toBuffer({ ...v, event_time: new Date(v.event_time).toISOString() }),
      ),
    ]),
    fc
      .string({ maxLength: 40 })
      .map((text): [string, Buffer] => [
        'not a record schema',
        wire(ids.notARecord, avro.Type.forSchema('string').toBuffer(text)),
      ]),
    validTransaction(ctx).map((v): [string, Buffer] => [
      'score schema on the input topic',
      wire(
        ids.score,
        types.score.toBuffer({
          transaction_id: v.transaction_id,
          event_time: v.event_time,
          scored_at: ctx.nowMs,
          score: 0.5,
          decision: 'REVIEW',
          model_name: 'm',
          model_version: '1',
          feature_schema_version: 'x',
          features: {},
          reason_codes: [],
          shadow_scores: {},
          batch_id: 'b',
          source_partition: 0,
          source_offset: 0,
        }),
      ),
    ]),
  );
}

/** Every kind of labels-topic payload: valid labels (recorded, no output) and bad ones (dead-lettered). */
export function labelPayload(ctx: HostileContext): fc.Arbitrary<Payload> {
  const { ids, types } = ctx;
  const p = (kind: string, value: Buffer | null, expect: readonly Outcome[]): Payload => ({
    kind: `label: ${kind}`,
    topic: 'labels',
    value,
    expect,
  });
  const encode = (value: unknown) => wire(ids.label, types.label.toBuffer(value));
  const label = fc.record({
    transaction_id: fc.oneof(fc.uuid(), validId('tx-', 50)),
    is_fraud: fc.boolean(),
    reported_at: fc.oneof(
      fc.integer({ min: ctx.nowMs - 40 * DAY_MS, max: ctx.nowMs }),
      fc.integer({ min: 0, max: ctx.nowMs + maxFutureSkewMs }),
      // The edges of the contract are inside it.
      fc.constantFrom(0, ctx.nowMs + maxFutureSkewMs),
    ),
  });
  // Later than the contract's future bound by the worker's clock too, which reads a little after ctx.nowMs.
  const firstTooLate = ctx.nowMs + maxFutureSkewMs + 1 + ctx.clockSlackMs;
  return fc.oneof(
    { weight: 6, arbitrary: label.map((l) => p('valid', encode(l), [RECORDED])) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(label, fc.constantFrom('', 'l'.repeat(maxIdLength + 1), 'l 1', 'l\u00e9'))
        .map(([l, id]) =>
          p('bad transaction_id', encode({ ...l, transaction_id: id }), [DeadLetterReason.InvalidField]),
        ),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(label, fc.integer({ min: AVSC_EXACT_MIN_LONG, max: -1 }))
        .map(([l, at]) =>
          p('negative reported_at', encode({ ...l, reported_at: at }), [DeadLetterReason.AbsurdTimestamp]),
        ),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(label, fc.oneof(fc.integer({ min: firstTooLate, max: AVRO_MAX_LONG }), fc.constant(firstTooLate)))
        .map(([l, at]) =>
          p('reported_at beyond the future bound', encode({ ...l, reported_at: at }), [
            DeadLetterReason.AbsurdTimestamp,
          ]),
        ),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(label, fc.constantFrom(...EXTREME_LONGS)).map(([l, [at, kind]]) => {
        // reported_at is the record's last field: replace the one-byte encoding of 0 by the extreme varint.
        const zero = encode({ ...l, reported_at: 0 });
        const value = Buffer.concat([zero.subarray(0, zero.length - 1), avroLong(at)]);
        return kind === 'exact'
          ? p('reported_at below -2^52', value, [DeadLetterReason.AbsurdTimestamp])
          : p('reported_at beyond ±(2^53 - 2)', value, [DeadLetterReason.UndecodableBody]);
      }),
    },
    {
      weight: 2,
      arbitrary: validTransaction(ctx).map((v) =>
        p('transaction on the labels topic', encodeTransaction(ctx, v), [DeadLetterReason.WrongSchema]),
      ),
    },
    {
      weight: 2,
      arbitrary: label
        .map(encode)
        .chain((bytes) => fc.integer({ min: 0, max: bytes.length - 1 }).map((n) => bytes.subarray(0, n)))
        .map((value) => p('truncated', value, byShape(ctx, value, [DeadLetterReason.UndecodableBody]))),
    },
    {
      weight: 2,
      arbitrary: fc.uint8Array({ maxLength: 100 }).map((bytes) => {
        const value = Buffer.from(bytes);
        return p('random bytes', value, byShape(ctx, value, ANY_LABEL_OUTCOME));
      }),
    },
  );
}
