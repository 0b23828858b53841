import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { modelsToKeep, type ServingPlan } from '../../../../src/core/control/index.js';

const WINDOW = { maxRecords: 100, maxWaitMs: 100 };

function plan(decider: string, challenger?: string): ServingPlan {
  return {
    version: 1,
    decider,
    killed: false,
    challenger: challenger ? { model: challenger, mode: 'rollout', percent: 5, salt: 's', stage: 0 } : null,
    window: WINDOW,
  };
}

const targets: Record<string, string> = { 'b@2': 'a@1', 'd@4': 'c@3', 'e@5': 'b@2' };

const keep = (plans: readonly (ServingPlan | undefined)[], preparing: readonly string[] = []) =>
  [...modelsToKeep({ plans, rollbackTargetOf: (ref) => targets[ref], defaultChampion: 'a@1', preparing })].sort();

describe('modelsToKeep', () => {
  it("keeps the applied and the pending plan's models and their deciders' rollback targets", () => {
    assert.deepEqual(keep([plan('b@2', 'e@5'), plan('d@4')]), ['a@1', 'b@2', 'c@3', 'd@4', 'e@5']);
  });

  it("keeps no challenger's rollback target, only the decider's", () => {
    assert.deepEqual(keep([plan('a@1', 'e@5')]), ['a@1', 'e@5']);
  });

  it('keeps the default champion and what preparations hold, with or without a pending plan', () => {
    assert.deepEqual(keep([plan('f@6'), undefined], ['g@7', 'h@8']), ['a@1', 'f@6', 'g@7', 'h@8']);
  });
});
