/**
 * What `fraudscore control status` reads of each worker: a report the worker rewrites while it runs (so a crashed one
 * shows as silent, not as serving what it last said) and withdraws when it stops (so a pod replaced cleanly is not
 * listed for ever as behind). Real Kafka, registry, Redis and ONNX.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import {
  createWorkerStatusStore,
  STATUS_REFRESH_MS,
  workerStatusKey,
} from '../../../src/adapters/redis/worker-status.js';
import type { PipelineContext } from '../../../src/runtime/context.js';
import { startTestWorker } from '../../support/test-worker.js';
import { fraudscore } from '../../support/cli.js';
import { deleteTopics, STACK, testTopology } from '../../support/stack.js';
import { waitFor } from '../../support/wait-for.js';

describe('worker status reports (real Kafka, registry, Redis, ONNX)', () => {
  const { topology, file, topics } = testTopology();
  let pipeline: PipelineContext | undefined;
  let redis: Redis;
  const reports = () => createWorkerStatusStore(redis, workerStatusKey(topology.redis.keyPrefix)).readAll();

  before(async () => {
    redis = new Redis(STACK.redisUrl, { maxRetriesPerRequest: 1 });
    pipeline = await startTestWorker(topology);
  });

  after(async () => {
    await pipeline?.close();
    await redis.del(workerStatusKey(topology.redis.keyPrefix));
    redis.disconnect();
    await deleteTopics([...topics, `${topology.name}.control`]);
  });

  it('are rewritten while the worker runs, with nothing changed', { timeout: 60_000 }, async () => {
    const first = await waitFor('the first report', async () => (await reports()).get('w1'), 20_000);
    const later = await waitFor(
      'a report rewritten',
      async () => {
        const report = (await reports()).get('w1');
        return report && report.reportedAtMs > first.reportedAtMs ? report : undefined;
      },
      STATUS_REFRESH_MS + 10_000,
    );
    assert.equal(later['appliedVersion'], first['appliedVersion'], 'the same status, written again');
    const status = fraudscore(['control', 'status', '-t', file]);
    assert.equal(status.status, 0, status.output);
    assert.match(status.stdout, /^ {4}w1 +applied v0, deciding card-fraud@\d+, reported \d+\.\d\d s ago$/m);
    assert.match(status.stdout, /^ {2}every reporting worker applies version 0; the slowest took 0\.00 s$/m);
  });

  it('are withdrawn when the worker stops', { timeout: 60_000 }, async () => {
    await pipeline!.close();
    pipeline = undefined;
    assert.equal((await reports()).has('w1'), false);
    const status = fraudscore(['control', 'status', '-t', file]);
    assert.equal(status.status, 0, status.output);
    assert.match(status.stdout, /^ {2}workers {6}none reported$/m);
  });
});
