import avro from 'avsc';

/**
 * Two ways avsc 5.7 mis-reads hostile bytes, found by test/integration/contract/fuzz.test.ts, and the types that
 * read them correctly. The serde builds every type it decodes with (writer and reader schemas alike: a resolver
 * reads with the reader's types and skips with the writer's) through `safeTypes`.
 *
 * 1. Block counts. avsc reads an Avro array or map by looping over the item count its block header claims, without
 *    asking whether that many items fit in the bytes left. A record of 31 bytes whose map header claims 2^31 (or
 *    2^62) entries keeps the event loop busy for minutes, or for ever: the worker stops heartbeating, loses its
 *    partitions, and the next worker takes the same record and hangs in turn. (A negative block byte size, which
 *    avsc's skip adds to the read position, can also send the reader backwards into an endless loop.) Here a block
 *    that claims more items than there are bytes left, or a negative byte size, marks the reader as past the end,
 *    so that fromBuffer throws "truncated buffer" and the record is dead-lettered as undecodable, after work
 *    proportional to its size. No valid encoding has either: every map entry takes at least the byte of its key's
 *    length, every array item at least one byte. (An array of a zero-width type, e.g. null, could legitimately hold
 *    more items than bytes; no schema of the contract has one, and such a record is refused.)
 *    The bound holds for the record as a whole too: all the blocks of a record together may claim at most as many
 *    items as the record has bytes. A bound per block alone lets a record of 64 KiB claim ~20,000 blocks of nearly
 *    as many zero-width items each, seconds of work that no timeout can stop (decoding is synchronous). The whole
 *    bound holds for every valid encoding of items that take a byte or more: an item's bytes are at least one more
 *    than the items nested in it, each of its arrays and maps ending with a byte of its own.
 *
 * 2. Large negative longs. avsc decodes the zigzag varint in floating point: for a negative long of magnitude above
 *    2^52 the low bit, which carries the sign, is rounded away, and -(2^52 + 1) reads as +2^52. A label reported at
 *    a negative time would then be recorded as one reported far in the future instead of being dead-lettered. Here
 *    such varints are decoded exactly (in BigInt), with avsc's own limit of ±(2^53 - 2) kept.
 *
 * Relies on avsc 5.7's reader internals (Tap: buf, pos, readLong, skipLong, readString, skipString, _invalidate;
 * types' _read/_skip); the fuzz test fails if an upgrade changes them.
 */
interface Tap {
  buf: Buffer;
  pos: number;
  readLong(): number;
  skipLong(): void;
  readString(): string;
  skipString(): void;
  _invalidate(): void;
}

interface InnerType {
  _read(tap: Tap): unknown;
  _skip(tap: Tap): void;
}

/**
 * Items the blocks of a record read so far have claimed, by the tap reading it. avsc makes a tap per decode
 * (fromBuffer, decode), so a tap stands for one record; the entry goes with it.
 */
const itemsClaimed = new WeakMap<Tap, number>();

/**
 * Whether a block of `count` items can fit: in the bytes left after its header, and, with the blocks before it, in
 * the record's bytes. Counts it if so.
 */
function claimItems(tap: Tap, count: number): boolean {
  const claimed = (itemsClaimed.get(tap) ?? 0) + count;
  if (count > tap.buf.length - tap.pos || claimed > tap.buf.length) return false;
  itemsClaimed.set(tap, claimed);
  return true;
}

/** The item count of the next block (0 at the end), or 0 after marking the tap invalid if the count cannot fit. */
function readBlockCount(tap: Tap): number {
  let count = tap.readLong();
  if (count < 0) {
    count = -count;
    tap.skipLong(); // the block's size in bytes: not needed to read it
  }
  if (count > 0 && !claimItems(tap, count)) {
    tap._invalidate();
    return 0;
  }
  return count;
}

/** Skips blocks; a block with its byte size given is jumped over, if that size is possible. */
function skipBlocks(tap: Tap, skipItem: () => void): void {
  for (;;) {
    const count = tap.readLong();
    if (count === 0) return;
    if (count < 0) {
      const bytes = tap.readLong();
      if (!(bytes >= 0 && bytes <= tap.buf.length - tap.pos)) return tap._invalidate();
      tap.pos += bytes;
      continue;
    }
    if (!claimItems(tap, count)) return tap._invalidate();
    for (let i = 0; i < count; i++) skipItem();
  }
}

class BoundedMapType extends avro.types.MapType {
  _read(tap: Tap): Record<string, unknown> {
    // Read through `this`: a resolver borrows this method with its own valuesType (avsc MapType._update).
    const values = (this as unknown as { valuesType: InnerType }).valuesType;
    const value: Record<string, unknown> = {};
    let count: number;
    while ((count = readBlockCount(tap)) > 0) {
      for (let i = 0; i < count; i++) {
        const key = tap.readString();
        value[key] = values._read(tap);
      }
    }
    return value;
  }

  _skip(tap: Tap): void {
    const values = (this as unknown as { valuesType: InnerType }).valuesType;
    skipBlocks(tap, () => {
      tap.skipString();
      values._skip(tap);
    });
  }
}

class BoundedArrayType extends avro.types.ArrayType {
  _read(tap: Tap): unknown[] {
    const items = (this as unknown as { itemsType: InnerType }).itemsType;
    const value: unknown[] = [];
    let count: number;
    while ((count = readBlockCount(tap)) > 0) {
      for (let i = 0; i < count; i++) value.push(items._read(tap));
    }
    return value;
  }

  _skip(tap: Tap): void {
    const items = (this as unknown as { itemsType: InnerType }).itemsType;
    skipBlocks(tap, () => items._skip(tap));
  }
}

/** avsc's range for longs (isSafeLong): beyond it, reading fails with "potential precision loss". */
const MAX_LONG = 9_007_199_254_740_990n;
/** Below this magnitude avsc's floating-point zigzag decoding is exact (the zigzag value stays under 2^53). */
const EXACT_BELOW = 2 ** 52;

class ExactLongType extends avro.types.LongType {
  _read(tap: Tap): number {
    const start = tap.pos;
    const fast = tap.readLong();
    if (Math.abs(fast) < EXACT_BELOW || !(tap.pos <= tap.buf.length)) return fast;
    tap.pos = start;
    let zigzag = 0n;
    let shift = 0n;
    let byte: number;
    do {
      byte = tap.buf[tap.pos++] ?? 0;
      zigzag |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
    } while (byte & 0x80);
    const value = zigzag & 1n ? -((zigzag + 1n) >> 1n) : zigzag >> 1n;
    if (value > MAX_LONG || value < -MAX_LONG) throw new Error('potential precision loss');
    return Number(value);
  }
}

/**
 * An avsc typeHook: maps, arrays and longs built with it read hostile bytes safely, as described above. Pass it to
 * every forSchema whose type decodes.
 */
export function safeTypes(schema: avro.Schema, options: avro.ForSchemaOptions): avro.Type | undefined {
  if (schema === 'long') return new ExactLongType();
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return undefined;
  const type = (schema as { type?: unknown }).type;
  if (type === 'map') return new BoundedMapType(schema, options);
  if (type === 'array') return new BoundedArrayType(schema, options);
  // A long with attributes (e.g. logicalType timestamp-millis, which the serde does not interpret): a plain long.
  if (type === 'long') return new ExactLongType();
  return undefined;
}
