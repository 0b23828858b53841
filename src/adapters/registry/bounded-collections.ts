import avro from 'avsc';

/**
 * avsc reads an Avro array or map by looping over the item count its block header claims, without asking whether
 * that many items fit in the bytes left. A hostile or corrupt record of 31 bytes whose map header claims 2^31 (or
 * 2^62) entries therefore keeps the event loop busy for minutes, or for ever: the worker stops heartbeating, loses
 * its partitions, and the next worker takes the same record and hangs in turn. (A negative block byte size, which
 * avsc's skip adds to the read position, can also send the reader backwards into an endless loop.)
 *
 * The types below read and skip exactly as avsc does, but refuse a block that claims more items than there are
 * bytes left, or a negative byte size: no valid encoding has either, since every map entry takes at least the byte
 * of its key's length and every array item at least one byte. (An array of a zero-width type, e.g. null, could
 * legitimately hold more items than bytes; no schema of the contract has one, and such a record is refused.) The
 * reader is then marked as past the end, so fromBuffer throws "truncated buffer" and the record is dead-lettered
 * as undecodable, after work proportional to its size.
 *
 * Relies on avsc 5.7's reader internals (Tap: buf, pos, readLong, skipLong, readString, skipString, _invalidate;
 * types' _read/_skip): test/integration/contract/fuzz.test.ts fails if an upgrade changes them.
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

/** The item count of the next block (0 at the end), or 0 after marking the tap invalid if the count cannot fit. */
function readBlockCount(tap: Tap): number {
  let count = tap.readLong();
  if (count < 0) {
    count = -count;
    tap.skipLong(); // the block's size in bytes: not needed to read it
  }
  if (count > tap.buf.length - tap.pos) {
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
    if (count > tap.buf.length - tap.pos) return tap._invalidate();
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

/**
 * An avsc typeHook: every map and array type built with it is bounded as above. Pass it to every forSchema that
 * builds a type used for decoding (writer and reader schemas alike: a resolver reads with the reader's types).
 */
export function boundedCollections(schema: avro.Schema, options: avro.ForSchemaOptions): avro.Type | undefined {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return undefined;
  const type = (schema as { type?: unknown }).type;
  if (type === 'map') return new BoundedMapType(schema, options);
  if (type === 'array') return new BoundedArrayType(schema, options);
  return undefined;
}
