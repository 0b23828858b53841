import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  COMPATIBILITY_LEVELS,
  parseCompatibilityLevel,
  satisfies,
  strengthen,
  type CompatibilityLevel,
} from '../../../../src/core/contract/compatibility.js';

describe('compatibility levels', () => {
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
    ];
    for (const [level, needed, expected] of cases)
      assert.equal(strengthen(level, needed), expected, `${level}+${needed}`);
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
