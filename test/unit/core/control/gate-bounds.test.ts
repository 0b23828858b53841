import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseTopology, TopologyError } from '../../../../src/config/index.js';
import {
  effectiveGateBounds,
  GATE_BOUNDS,
  gateBoundProblem,
  INITIAL_SERVING_STATE,
  startRollout,
} from '../../../../src/core/control/index.js';

const topology = { maxScorePsi: 0.25, maxAlertRateDelta: 0.005, aucMargin: 0.01 };

describe('effective gate bounds', () => {
  it("are the topology's where the rollout set none, the rollout's where it did, each saying where it comes from", () => {
    assert.deepEqual(effectiveGateBounds(topology, undefined), {
      maxScorePsi: { value: 0.25, from: 'topology' },
      maxAlertRateDelta: { value: 0.005, from: 'topology' },
      aucMargin: { value: 0.01, from: 'topology' },
    });
    assert.deepEqual(effectiveGateBounds(topology, { maxScorePsi: 2 }), {
      maxScorePsi: { value: 2, from: 'rollout' },
      maxAlertRateDelta: { value: 0.005, from: 'topology' },
      aucMargin: { value: 0.01, from: 'topology' },
    });
    // 0 is a bound a rollout may set (no alert-rate difference at all), not one it left out.
    assert.deepEqual(effectiveGateBounds(topology, { maxAlertRateDelta: 0, aucMargin: 0 }).maxAlertRateDelta, {
      value: 0,
      from: 'rollout',
    });
  });
});

describe("a rollout's own bound: the range of the topology's field of the same name", () => {
  const yaml = readFileSync('topologies/card-payments.yaml', 'utf8');
  const topologyTakes = (bound: string, value: number): boolean => {
    const text = yaml.replace(new RegExp(`(\\n {4}${bound}: )\\S+`), `$1${value}`);
    assert.notEqual(text, yaml, `${bound} is set in the gates section`);
    try {
      return (
        parseTopology(text, 't.yaml', { FRAUDSCORE_KAFKA_BROKERS: 'b:9092' }).rollout.gates[bound as 'aucMargin'] ===
        value
      );
    } catch (error) {
      if (error instanceof TopologyError) return false;
      throw error;
    }
  };

  it('takes and refuses the values the topology file does, at and around each end', () => {
    for (const bound of GATE_BOUNDS) {
      for (const value of [-0.1, 0, 1e-9, 0.5, 1, 1.5, 10, 10.5]) {
        assert.equal(gateBoundProblem(bound, value) === null, topologyTakes(bound, value), `${bound} ${value}`);
      }
    }
  });

  it('says the range, for the caller to name the flag or field', () => {
    assert.equal(
      gateBoundProblem('maxScorePsi', 0),
      "expected a number > 0 and <= 10, the range of the topology's rollout.gates.maxScorePsi",
    );
    assert.equal(
      gateBoundProblem('aucMargin', 2),
      "expected a number from 0 to 1, the range of the topology's rollout.gates.aucMargin",
    );
    assert.equal(gateBoundProblem('maxScorePsi', Number.NaN) !== null, true);
    assert.equal(gateBoundProblem('maxScorePsi', Number.POSITIVE_INFINITY) !== null, true);
  });

  it('refuses a rollout started with a bound out of range, naming it, before any record is written', () => {
    const refused = startRollout(INITIAL_SERVING_STATE, {
      model: 'card-fraud@2',
      champion: 'card-fraud@1',
      salt: 's',
      nowMs: 0,
      plan: [1, 100],
      stepMs: 60_000,
      gates: { maxAlertRateDelta: 0.01, maxScorePsi: 11 },
    });
    assert.deepEqual(refused, {
      ok: false,
      problem:
        "gates.maxScorePsi: 11 is out of range: expected a number > 0 and <= 10, the range of the topology's " +
        'rollout.gates.maxScorePsi',
    });
  });
});
