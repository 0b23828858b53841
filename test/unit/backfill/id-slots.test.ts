import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashOf, IdSlots } from '../../../src/backfill/id-slots.js';

describe('id slots', () => {
  it('numbers distinct ids in first-insertion order and finds each again, through many resizes', () => {
    const slots = new IdSlots();
    const ids: string[] = [];
    // Ids of many lengths and prefixes, some non-ASCII, and more than every initial capacity.
    for (let i = 0; i < 300_000; i++) ids.push(i % 3 === 0 ? `tx-${i}` : i % 3 === 1 ? `${i}-é-${i % 97}` : `c${i}ü`);
    ids.forEach((id, i) => assert.equal(slots.insert(id), i));
    assert.equal(slots.size, ids.length);
    ids.forEach((id, i) => {
      assert.equal(slots.slotOf(id), i);
      assert.equal(slots.insert(id), i, 'an id inserted again keeps its slot');
    });
    assert.equal(slots.size, ids.length);
    for (const absent of ['tx-', 'tx-300000', 'tx-1 ', 'x', 'é']) assert.equal(slots.slotOf(absent), -1);
  });

  it('keeps ids apart whose hashes are equal', () => {
    // A birthday search: among 400,000 ids of one length, some pairs share all 32 bits of the hash.
    const byHash = new Map<number, string>();
    let pair: [string, string] | null = null;
    for (let i = 100_000; i < 500_000 && pair === null; i++) {
      const id = `id-${i}`;
      const hash = hashOf(id, 0, id.length);
      const other = byHash.get(hash);
      if (other === undefined) byHash.set(hash, id);
      else pair = [other, id];
    }
    assert.ok(pair !== null, 'no colliding pair found');
    const [first, second] = pair;
    const slots = new IdSlots();
    assert.equal(slots.insert(first), 0);
    assert.equal(slots.slotOf(second), -1);
    assert.equal(slots.insert(second), 1);
    assert.equal(slots.slotOf(first), 0);
    assert.equal(slots.slotOf(second), 1);
  });

  it('reads ids as ranges of a longer string', () => {
    const slots = new IdSlots();
    const text = 'aaabab';
    assert.equal(slots.insert(text, 0, 2), 0); // "aa"
    assert.equal(slots.insert(text, 2, 4), 1); // "ab"
    assert.equal(slots.insert(text, 4, 6), 1); // "ab" again
    assert.equal(slots.slotOf('aa'), 0);
    assert.equal(slots.slotOf('xaay', 1, 3), 0);
    assert.equal(slots.slotOf('a'), -1);
    assert.equal(slots.slotOf('aab'), -1);
  });
});
