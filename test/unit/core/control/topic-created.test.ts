import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { controlTopicCreatedLine } from '../../../../src/core/control/index.js';

describe('controlTopicCreatedLine', () => {
  it('names the topic created, how it was made, and that the serving state started empty', () => {
    assert.equal(
      controlTopicCreatedLine('card-payments'),
      'created the control topic card-payments.control (1 partition, cleanup.policy=compact, retention.ms=-1): it ' +
        'did not exist, so no change was on record and the serving state started empty, from the topology file',
    );
  });
});
