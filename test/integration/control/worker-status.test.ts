/**
 * What `fraudscore control status` and a change's `--wait` read of each worker: a report the worker rewrites while it runs (so a crashed one
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
import { fraudscore, startCli } from '../../support/cli.js';
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

  it('tell a change made with --wait when the worker applies it', { timeout: 60_000 }, async () => {
    // The CLI runs as a child process: the worker in this process must go on running while it waits.
    const change = startCli(['control', 'set', '-t', file, 'batch.maxWaitMs=250', '--reason', 'test', '--wait', '30']);
    const code = await change.exited;
    const output = change.output();
    assert.equal(code, 0, output);
    const version = /^written: v(\d+) /m.exec(output)?.[1];
    assert.ok(version, output);
    assert.match(
      output,
      new RegExp(`^ {2}w1 applies v${version} \\(\\d+\\.\\d\\d s after the change was written\\)$`, 'm'),
    );
    assert.match(output, new RegExp(`^every reporting worker \\(1\\) applies v${version}$`, 'm'));
    assert.equal((await reports()).get('w1')?.['appliedVersion'], Number(version), 'applied when the CLI said so');
  });

  it('are withdrawn when the worker stops', { timeout: 60_000 }, async () => {
    await pipeline!.close();
    pipeline = undefined;
    assert.equal((await reports()).has('w1'), false);
    const status = fraudscore(['control', 'status', '-t', file]);
    assert.equal(status.status, 0, status.output);
    assert.match(status.stdout, /^ {2}workers {6}none reported$/m);
  });

  it('leave a change made with --wait unconfirmed, exit 1, when no worker reports', { timeout: 60_000 }, async () => {
    const change = fraudscore(['control', 'set', '-t', file, 'batch.maxWaitMs=default', '--reason', 'test', '--wait']);
    assert.equal(change.status, 1, change.output);
    assert.match(change.stdout, /^written: v\d+ /m);
    assert.match(change.stdout, /^no worker reported in the last 60\.00 s: nothing confirms v\d+$/m);
  });
});
