import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadTopology } from '../../../src/config/index.js';
import { EMPTY_VIEW, type ChallengerState, type ControlView } from '../../../src/core/control/index.js';
import { formatControlStatus } from '../../../src/lifecycle/status.js';
import { rolloutStage } from '../core/control/rollout-fixture.js';

const topology = loadTopology('topologies/card-payments.yaml');
const NOW = Date.UTC(2026, 11, 6);

function statusOf(challenger: ChallengerState | null): string[] {
  const view: ControlView = { ...EMPTY_VIEW, version: 2, state: { ...EMPTY_VIEW.state, challenger } };
  return formatControlStatus(topology, view, 'card-fraud@1', [], NOW);
}

const boundsLine = (lines: string[]) => lines.find((line) => line.startsWith('  gate bounds'));

describe('control status: the gate bounds of a live rollout', () => {
  it("are the topology's, said so, when the rollout set none", () => {
    assert.equal(
      boundsLine(statusOf(rolloutStage(NOW))),
      '  gate bounds  score PSI under 0.25 from the topology, alert-rate delta within ±0.005 from the topology, ' +
        'AUC margin 0.01 from the topology',
    );
  });

  it('name the bound the rollout set for itself beside the topology’s others', () => {
    assert.equal(
      boundsLine(statusOf(rolloutStage(NOW, { gates: { maxScorePsi: 2, aucMargin: 0.02 } }))),
      '  gate bounds  score PSI under 2 set by this rollout, alert-rate delta within ±0.005 from the topology, ' +
        'AUC margin 0.02 set by this rollout',
    );
  });

  it('are not shown without a rollout: a shadow or no challenger has no gates', () => {
    assert.equal(boundsLine(statusOf(null)), undefined);
    assert.equal(boundsLine(statusOf(rolloutStage(NOW, { mode: 'shadow', stageIndex: -1, percent: 0 }))), undefined);
  });
});
