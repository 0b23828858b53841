import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseModelRef } from '../../../../src/core/models/ref.js';

describe('model refs', () => {
  it('parses name@version and name@champion', () => {
    assert.deepEqual(parseModelRef('card-fraud@3'), { ok: true, ref: { name: 'card-fraud', version: '3' } });
    assert.deepEqual(parseModelRef('card-fraud@champion'), {
      ok: true,
      ref: { name: 'card-fraud', version: 'champion' },
    });
  });

  it('explains what is wrong', () => {
    for (const text of ['card-fraud', '@3', 'card-fraud@', 'Card@3', 'card-fraud@../3']) {
      const result = parseModelRef(text);
      assert.equal(result.ok, false, text);
    }
    const result = parseModelRef('card-fraud');
    assert.match(result.ok ? '' : result.problem, /not name@version/);
  });
});
