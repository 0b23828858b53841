import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupByDecider } from '../../../../src/core/monitoring/decided-rows.js';

describe('groupByDecider', () => {
  const champion = { name: 'm', version: '1' };
  const challenger = { name: 'm', version: '2' };

  it('gives the whole batch, without indices, to a model that decided every record', () => {
    assert.deepEqual(groupByDecider([{ model: champion }, { model: champion }]), [{ model: champion }]);
    assert.deepEqual(groupByDecider([]), []);
  });

  it('gives each model the indices of the records it decided, in the order the models first decide', () => {
    const decided = [challenger, champion, champion, challenger, champion].map((model) => ({ model }));
    assert.deepEqual(groupByDecider(decided), [
      { model: challenger, rows: [0, 3] },
      { model: champion, rows: [1, 2, 4] },
    ]);
  });
});
