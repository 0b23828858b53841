import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  connecting,
  explainStartupError,
  StartupError,
  StartupErrorCode,
} from '../../../src/runtime/startup-errors.js';
import { SECURED_TOPOLOGY } from '../../support/startup-topology.js';

// The messages of each service are tested in startup-errors/<service>.test.ts; this is the dispatch.
describe('start-up errors: the field and the fix', () => {
  it('explains a failure by the service it came from', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:1'), { code: 'ECONNREFUSED' });
    const field = (service: 'kafka' | 'redis' | 'registry') =>
      (explainStartupError(refused, SECURED_TOPOLOGY, service) as StartupError).field;
    assert.equal(field('kafka'), 'kafka.brokers');
    assert.equal(field('redis'), 'redis.url');
    assert.equal(field('registry'), 'schemaRegistry.url');
  });

  it('leaves anything else untouched, and connecting() rethrows it as it was', async () => {
    const other = new Error('disk full');
    for (const service of ['kafka', 'redis', 'registry', 'model'] as const) {
      assert.equal(explainStartupError(other, SECURED_TOPOLOGY, service), other);
    }
    await assert.rejects(
      connecting('kafka', SECURED_TOPOLOGY, () => Promise.reject(other)),
      (e) => e === other,
    );
    assert.equal(await connecting('redis', SECURED_TOPOLOGY, () => Promise.resolve(42)), 42);
  });

  it('a StartupError passes through unchanged', () => {
    const explained = new StartupError(StartupErrorCode.KafkaTls, 'kafka.ssl', 'x');
    assert.equal(explainStartupError(explained, SECURED_TOPOLOGY, 'redis'), explained);
  });
});
