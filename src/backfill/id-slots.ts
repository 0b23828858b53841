/**
 * Numbers distinct ids 0, 1, 2, … in the order they are first inserted: an open-addressing hash table over the ids'
 * UTF-16 code units, which live in one growable arena. Built for millions of ids: no string and no map entry per id,
 * so nothing for the garbage collector to trace, and about 2 × length + 12 bytes per id. Ids are given as a range of
 * a longer string (the backfill hands them over concatenated), so inserting and looking up never slice.
 */
export class IdSlots {
  /** Bucket → slot + 1 (0: empty). Capacity a power of two, at most half full. */
  private buckets = new Int32Array(1 << 16);
  private units = new Uint16Array(1 << 20);
  private unitsUsed = 0;
  /** Per slot: where its id starts and ends in `units`, and its hash. */
  private starts = new Uint32Array(1 << 15);
  private ends = new Uint32Array(1 << 15);
  private hashes = new Int32Array(1 << 15);
  private count = 0;

  /** Distinct ids inserted. */
  get size(): number {
    return this.count;
  }

  /** The slot of text[from, to), or -1 if it was never inserted. */
  slotOf(text: string, from = 0, to = text.length): number {
    const hash = hashOf(text, from, to);
    const mask = this.buckets.length - 1;
    for (let bucket = hash & mask; ; bucket = (bucket + 1) & mask) {
      const entry = this.buckets[bucket]!;
      if (entry === 0) return -1;
      if (this.hashes[entry - 1] === hash && this.holds(entry - 1, text, from, to)) return entry - 1;
    }
  }

  /** The slot of text[from, to), numbering it next if it is new. */
  insert(text: string, from = 0, to = text.length): number {
    const hash = hashOf(text, from, to);
    const mask = this.buckets.length - 1;
    let bucket = hash & mask;
    for (; ; bucket = (bucket + 1) & mask) {
      const entry = this.buckets[bucket]!;
      if (entry === 0) break;
      if (this.hashes[entry - 1] === hash && this.holds(entry - 1, text, from, to)) return entry - 1;
    }
    const slot = this.count++;
    if (slot === this.starts.length) this.growSlots();
    const length = to - from;
    if (this.unitsUsed + length > this.units.length) this.growUnits(length);
    const start = this.unitsUsed;
    for (let i = 0; i < length; i++) this.units[start + i] = text.charCodeAt(from + i);
    this.unitsUsed += length;
    this.starts[slot] = start;
    this.ends[slot] = this.unitsUsed;
    this.hashes[slot] = hash;
    this.buckets[bucket] = slot + 1;
    if (this.count * 2 > this.buckets.length) this.rehash();
    return slot;
  }

  private holds(slot: number, text: string, from: number, to: number): boolean {
    const start = this.starts[slot]!;
    if (this.ends[slot]! - start !== to - from) return false;
    for (let i = 0; i < to - from; i++) {
      if (this.units[start + i] !== text.charCodeAt(from + i)) return false;
    }
    return true;
  }

  private rehash(): void {
    const buckets = new Int32Array(this.buckets.length * 2); // empty, not a copy: every slot is placed again
    const mask = buckets.length - 1;
    for (let slot = 0; slot < this.count; slot++) {
      let bucket = this.hashes[slot]! & mask;
      while (buckets[bucket] !== 0) bucket = (bucket + 1) & mask;
      buckets[bucket] = slot + 1;
    }
    this.buckets = buckets;
  }

  private growSlots(): void {
    this.starts = grown(this.starts);
    this.ends = grown(this.ends);
    this.hashes = grown(this.hashes);
  }

  private growUnits(atLeast: number): void {
    this.units = grown(this.units, this.unitsUsed + atLeast);
  }
}

type GrowableArray = Int32Array | Uint32Array | Uint16Array | Uint8Array | Float64Array;

/** A copy of `array` in a new array of the same kind, twice as long (or `atLeast`, if longer). */
export function grown<T extends GrowableArray>(array: T, atLeast = 0): T {
  const Kind = array.constructor as new (length: number) => T;
  const bigger = new Kind(Math.max(array.length * 2, atLeast));
  (bigger as GrowableArray).set(array);
  return bigger;
}

/**
 * FNV-1a over UTF-16 code units, then a final mix so that the low bits (the bucket) depend on every unit. Exported
 * for the tests, which need ids whose hashes collide.
 */
export function hashOf(text: string, from: number, to: number): number {
  let hash = 0x811c9dc5;
  for (let i = from; i < to; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash;
}
