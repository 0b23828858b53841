import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  COMPATIBILITY_LEVELS,
  NEEDED_COMPATIBILITY,
  parseCompatibilityLevel,
  satisfies,
  shortfall,
  strengthen,
  type CompatibilityLevel,
} from '../../../../src/core/contract/compatibility.js';

describe('compatibility levels', () => {
  it('a subject read with the contract as reader needs FORWARD_TRANSITIVE or FULL_TRANSITIVE', () => {
    assert.equal(NEEDED_COMPATIBILITY.read, 'FORWARD_TRANSITIVE');
    const accepted = COMPATIBILITY_LEVELS.filter((level) => satisfies(level, NEEDED_COMPATIBILITY.read));
    // BACKWARD lets upstream remove a field the contract reads; FORWARD and FULL check the latest version only.
    assert.deepEqual(accepted, ['FORWARD_TRANSITIVE', 'FULL_TRANSITIVE']);
  });

  it('a subject the pipeline writes needs FULL_TRANSITIVE: older and newer readers both read it', () => {
    const accepted = COMPATIBILITY_LEVELS.filter((level) => satisfies(level, NEEDED_COMPATIBILITY.written));
    assert.deepEqual(accepted, ['FULL_TRANSITIVE']);
  });

  it('names what a weaker level falls short by', () => {
    const cases: [CompatibilityLevel, CompatibilityLevel, string[]][] = [
      ['NONE', 'FORWARD_TRANSITIVE', ['forward']],
      ['BACKWARD', 'FORWARD_TRANSITIVE', ['forward']],
      ['BACKWARD_TRANSITIVE', 'FORWARD_TRANSITIVE', ['forward']],
      ['FORWARD', 'FORWARD_TRANSITIVE', ['transitive']],
      ['FULL', 'FORWARD_TRANSITIVE', ['transitive']],
      ['FORWARD_TRANSITIVE', 'FORWARD_TRANSITIVE', []],
      ['FULL_TRANSITIVE', 'FORWARD_TRANSITIVE', []],
      ['NONE', 'FULL_TRANSITIVE', ['backward', 'forward']],
      ['FORWARD_TRANSITIVE', 'FULL_TRANSITIVE', ['backward']],
      ['FULL', 'FULL_TRANSITIVE', ['transitive']],
    ];
    for (const [level, needed, expected] of cases)
      assert.deepEqual(shortfall(level, needed), expected, `${level} for ${needed}`);
  });

  it('accepts exactly the levels at least as strict as BACKWARD', () => {
    const accepted = COMPATIBILITY_LEVELS.filter((level) => satisfies(level, 'BACKWARD'));
    assert.deepEqual(accepted, ['BACKWARD', 'BACKWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE']);
  });

  it('wants every version checked when the needed level is transitive', () => {
    assert.equal(satisfies('BACKWARD', 'BACKWARD_TRANSITIVE'), false);
    assert.equal(satisfies('FULL', 'BACKWARD_TRANSITIVE'), false);
    assert.equal(satisfies('FULL_TRANSITIVE', 'BACKWARD_TRANSITIVE'), true);
    assert.equal(satisfies('FORWARD_TRANSITIVE', 'BACKWARD_TRANSITIVE'), false);
  });

  it('satisfies is reflexive, and everything satisfies NONE', () => {
    for (const level of COMPATIBILITY_LEVELS) {
      assert.equal(satisfies(level, level), true, level);
      assert.equal(satisfies(level, 'NONE'), true, level);
    }
  });

  it('strengthens to the weakest level that keeps both sets of promises', () => {
    const cases: [CompatibilityLevel, CompatibilityLevel, CompatibilityLevel][] = [
      ['NONE', 'BACKWARD', 'BACKWARD'],
      ['FORWARD', 'BACKWARD', 'FULL'],
      ['FORWARD_TRANSITIVE', 'BACKWARD', 'FULL_TRANSITIVE'],
      ['BACKWARD', 'BACKWARD', 'BACKWARD'],
      ['FULL_TRANSITIVE', 'BACKWARD', 'FULL_TRANSITIVE'],
      ['NONE', 'NONE', 'NONE'],
      // What the pipeline raises the subjects it manages to.
      ['NONE', 'FORWARD_TRANSITIVE', 'FORWARD_TRANSITIVE'],
      ['BACKWARD', 'FORWARD_TRANSITIVE', 'FULL_TRANSITIVE'],
      ['BACKWARD_TRANSITIVE', 'FORWARD_TRANSITIVE', 'FULL_TRANSITIVE'],
      ['FORWARD', 'FORWARD_TRANSITIVE', 'FORWARD_TRANSITIVE'],
      ['FULL', 'FORWARD_TRANSITIVE', 'FULL_TRANSITIVE'],
      ['FORWARD_TRANSITIVE', 'FORWARD_TRANSITIVE', 'FORWARD_TRANSITIVE'],
      ['NONE', 'FULL_TRANSITIVE', 'FULL_TRANSITIVE'],
      ['FORWARD_TRANSITIVE', 'FULL_TRANSITIVE', 'FULL_TRANSITIVE'],
    ];
    for (const [level, needed, expected] of cases)
      assert.equal(strengthen(level, needed), expected, `${level}+${needed}`);
    for (const needed of Object.values(NEEDED_COMPATIBILITY)) {
      for (const level of COMPATIBILITY_LEVELS) assert.ok(satisfies(strengthen(level, needed), needed), level);
    }
  });

  it('a strengthened level satisfies both inputs, for every pair', () => {
    for (const a of COMPATIBILITY_LEVELS) {
      for (const b of COMPATIBILITY_LEVELS) {
        const c = strengthen(a, b);
        assert.ok(satisfies(c, a) && satisfies(c, b), `${a}+${b} -> ${c}`);
      }
    }
  });

  it('parses the registry answer, any case, and refuses other words', () => {
    assert.equal(parseCompatibilityLevel('backward_transitive'), 'BACKWARD_TRANSITIVE');
    assert.equal(parseCompatibilityLevel(' FULL '), 'FULL');
    assert.equal(parseCompatibilityLevel('STRICT'), undefined);
  });
});
