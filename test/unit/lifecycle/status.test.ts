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

describe('control status: the workers', () => {
  const view: ControlView = { ...EMPTY_VIEW, version: 3 };
  const worker = (instance: string, applied: number, reportedAgoMs: number) => ({
    instance,
    status: {
      appliedVersion: applied,
      appliedAtMs: NOW - 60_000,
      recordAtMs: NOW - 60_500,
      decider: 'card-fraud@1',
      reportedAtMs: NOW - reportedAgoMs,
    },
  });
  const lines = (...workers: ReturnType<typeof worker>[]) =>
    formatControlStatus(topology, view, 'card-fraud@1', workers, NOW);

  it('counts a worker silent for over a minute apart: what it last said is no evidence of what serves now', () => {
    const out = lines(worker('w1', 3, 4_000), worker('gone', 2, 3_600_000));
    assert.ok(
      out.some((line) => /^ {4}w1 +applied v3, took 0\.50 s, deciding card-fraud@1, reported 4\.00 s ago$/.test(line)),
    );
    assert.ok(
      out.some((line) =>
        /^ {4}gone +SILENT: no report for 3600\.00 s \(crashed, or cannot reach Redis\); last said applied v2/.test(
          line,
        ),
      ),
      out.join('\n'),
    );
    assert.equal(
      out.at(-1),
      '  every reporting worker applies version 3; the slowest took 0.50 s; 1 silent worker(s) not counted',
    );
  });

  it('says which reporting workers are behind, and when none reports at all', () => {
    assert.equal(lines(worker('w1', 3, 1_000), worker('w2', 2, 1_000)).at(-1), '  1 worker(s) behind version 3');
    assert.equal(lines(worker('w1', 3, 61_000)).at(-1), '  no worker has reported in the last 60.00 s');
  });
});
