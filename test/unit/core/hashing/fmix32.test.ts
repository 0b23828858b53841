import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fmix32 } from '../../../../src/core/hashing/fmix32.js';

describe('fmix32', () => {
  it("gives MurmurHash3's published finaliser values, as unsigned 32-bit integers", () => {
    assert.equal(fmix32(0), 0);
    assert.equal(fmix32(1), 0x514e28b7);
    assert.equal(fmix32(-1), fmix32(0xffffffff), 'a negative int32 and its unsigned twin mix alike');
  });

  it('spreads adjacent inputs: about half of the output bits flip', () => {
    let flipped = 0;
    for (let i = 0; i < 1000; i++) {
      let diff = fmix32(i) ^ fmix32(i + 1);
      for (; diff !== 0; diff &= diff - 1) flipped++;
    }
    const mean = flipped / 1000;
    assert.ok(mean > 14 && mean < 18, `mean flipped bits ${mean}`);
  });
});
