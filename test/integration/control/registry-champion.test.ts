import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPipeline, type PipelineContext } from '../../../src/runtime/context.js';
import { createLogger, logLevelFor } from '../../../src/adapters/observability/logger.js';
import { openFsRegistry } from '../../../src/adapters/model-registry/index.js';
import { assertEveryInputScoredOnce, healthz, lifecycleTopology, scoreRound } from '../../support/lifecycle.js';
import { deleteTopics, testProducer, type ReadRecord, type TestProducer } from '../../support/stack.js';

/**
 * A topology serving "whichever version is champion" follows `fraudscore models promote` while it runs: a worker
 * started before the promotion and one started after it end up deciding with the same model, and no record is
 * scored twice or lost on the way.
 */
describe('registry champion followed by running workers (real Kafka, registry, Redis, ONNX)', () => {
  const base = lifecycleTopology({ maxRecords: 200, maxWaitMs: 200 });
  const topology = { ...base.topology, model: { ...base.topology.model, version: 'champion' } };
  const registry = openFsRegistry(topology.model.registry);
  const workers: PipelineContext[] = [];
  let producer: TestProducer;
  let sent = 0;

  const start = async (instanceId: string) => {
    const pipeline = await createPipeline({
      topology,
      instanceId,
      metricsPort: 0,
      log: createLogger({ name: instanceId, level: logLevelFor('warn', process.env, 'TEST_LOG_LEVEL') }),
    });
    void pipeline.runner.start();
    workers.push(pipeline);
    return pipeline;
  };

  /** Sends events and returns their scores once every one of them is out. */
  async function scoreRoundOf(prefix: string, count: number): Promise<ReadRecord[]> {
    const scores = await scoreRound(producer, topology, { prefix, count, sentBefore: sent });
    sent += count;
    return scores;
  }

  async function deciderOf(pipeline: PipelineContext, expected: string, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { control } = await healthz(pipeline.metricsAddress);
      if (control.decider === expected || Date.now() > deadline) return control.decider;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  before(async () => {
    await registry.setChampion('card-fraud', '1');
    producer = await testProducer(topology);
  });

  after(async () => {
    for (const pipeline of workers) await pipeline.close();
    await producer?.close();
    await deleteTopics(base.topics);
  });

  it('serves the champion the registry names at start-up', async () => {
    const first = await start('w1');
    assert.equal(first.model.version, '1');
    const scores = await scoreRoundOf('before', 300);
    assert.deepEqual([...new Set(scores.map((r) => r.value['model_version']))], ['1']);
  });

  it('moves a running worker to a promoted champion, as a worker started after the promotion serves it', async () => {
    await registry.setChampion('card-fraud', '2');
    const second = await start('w2');
    assert.equal(second.model.version, '2');
    const [first] = workers;
    assert.ok(first);
    assert.equal(await deciderOf(first, 'card-fraud@2'), 'card-fraud@2', 'the running worker followed the registry');
    const { control } = await healthz(first.metricsAddress);
    assert.equal(control.rejected, null);
    const scores = await scoreRoundOf('after', 600);
    assert.deepEqual([...new Set(scores.map((r) => r.value['model_version']))], ['2']);
  });

  it('gave every input exactly one outcome across the promotion', async () => {
    await assertEveryInputScoredOnce(topology, sent);
  });
});
