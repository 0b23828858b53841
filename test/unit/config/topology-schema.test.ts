import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseTopology, TopologyError } from '../../../src/config/index.js';

const base = readFileSync('topologies/card-payments.yaml', 'utf8');

function problems(text: string): string[] {
  try {
    parseTopology(text, 't.yaml', {});
    return [];
  } catch (error) {
    assert.ok(error instanceof TopologyError, String(error));
    return [...error.problems];
  }
}

describe('topology redis section', () => {
  it("sizes the worker's feature replica: 64 MiB unless set, and names the field when it is out of range", () => {
    assert.equal(parseTopology(base, 't.yaml', {}).redis.replicaBudgetMiB, 64);
    const withBudget = (value: string) => base.replace(/^( {2}keyPrefix: .*)$/m, `$1\n  replicaBudgetMiB: ${value}`);
    assert.equal(parseTopology(withBudget('256'), 't.yaml', {}).redis.replicaBudgetMiB, 256);
    assert.ok(problems(withBudget('0')).some((p) => p.startsWith('redis.replicaBudgetMiB: at least 1 (MiB)')));
    assert.ok(problems(withBudget('1.5')).some((p) => p.startsWith('redis.replicaBudgetMiB')));
  });
});

/** The topology's `contract` section: optional, but validated like the rest when present. */
describe('topology contract section', () => {
  it('loads from the shipped topology', () => {
    const { contract } = parseTopology(base, 't.yaml', {});
    assert.deepEqual(contract?.slo.batchLatencyMs, { p50: 250, p95: 500, p99: 1000 });
    assert.equal(contract?.slo.availability, 0.999);
    assert.ok((contract?.rollbackAuthority.length ?? 0) >= 1);
  });

  it('is optional', () => {
    assert.equal(parseTopology(base.replace(/\ncontract:[\s\S]*$/, '\n'), 't.yaml', {}).contract, undefined);
  });

  it('names the field when percentiles are out of order, availability is 1 or a field is unknown', () => {
    const found = problems(
      base
        .replace('{ p50: 250, p95: 500, p99: 1000 }', '{ p50: 250, p95: 2000, p99: 1000 }')
        .replace('availability: 0.999', 'availability: 1')
        .replace('  errorBudget:', '  owners: x\n  errorBudget:'),
    );
    assert.ok(
      found.some((p) => p.startsWith('contract.slo.batchLatencyMs.p95: p50 <= p95 <= p99')),
      found.join('\n'),
    );
    assert.ok(
      found.some((p) => p.startsWith('contract.slo.availability: below 1')),
      found.join('\n'),
    );
    assert.ok(
      found.some((p) => p.startsWith('contract:') && p.includes('owners')),
      found.join('\n'),
    );
  });
});
