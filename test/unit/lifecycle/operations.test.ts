import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { openFsRegistry } from '../../../src/adapters/model-registry/index.js';
import { parseTopology, topologyFeatureSchema } from '../../../src/config/index.js';
import { EMPTY_VIEW, type ControlView } from '../../../src/core/control/index.js';
import { FEATURE_SCHEMA } from '../../../src/core/features/definitions.js';
import { fakeModel, makeCard } from '../core/models/card-fixture.js';
import { controlOperations } from '../../../src/lifecycle/operations.js';
import { StartupError } from '../../../src/runtime/startup-errors.js';

const topology = parseTopology(readFileSync('topologies/card-payments.yaml', 'utf8'), 't.yaml', {
  FRAUDSCORE_KAFKA_BROKERS: '127.0.0.1:1',
});

describe('control operations: connections', () => {
  // Nothing listens on port 1; no retries, so the refusal comes at once.
  const kafka = new Kafka({ brokers: ['127.0.0.1:1'], retry: { retries: 0 }, logLevel: logLevel.NOTHING });
  const ops = controlOperations(topology, kafka, { actor: 'test' });
  const explained = (error: Error) => {
    assert.ok(error instanceof StartupError, String(error));
    assert.match(error.message, /^kafka\.brokers: cannot connect to Kafka at 127\.0\.0\.1:1 \(ECONNREFUSED/);
    return true;
  };

  it('reading the control state explains unreachable brokers naming kafka.brokers', async () => {
    await assert.rejects(ops.view(), explained);
  });

  it('a change explains them the same way', async () => {
    await assert.rejects(ops.killOff('test'), explained);
  });
});

describe("control operations: rollout start checks the rollout's own bounds before the registry or a broker", () => {
  // Nothing listens on port 1, and the registry holds no card-fraud@9: a refusal naming the bound came before either.
  const kafka = new Kafka({ brokers: ['127.0.0.1:1'], retry: { retries: 0 }, logLevel: logLevel.NOTHING });
  const ops = controlOperations(topology, kafka, { actor: 'test' });

  it('refuses a bound out of its range, naming it and the range', async () => {
    await assert.rejects(
      ops.rolloutStart('card-fraud@9', { reason: 'test', gates: { aucMargin: 0.02, maxScorePsi: 0 } }),
      {
        message:
          "gates.maxScorePsi: 0 is out of range: expected a number > 0 and <= 10, the range of the topology's " +
          'rollout.gates.maxScorePsi',
      },
    );
  });
});

describe('control operations: control set checks its settings before connecting', () => {
  // Nothing listens on port 1: a refusal that names a setting, not kafka.brokers, came before any connection.
  const kafka = new Kafka({ brokers: ['127.0.0.1:1'], retry: { retries: 0 }, logLevel: logLevel.NOTHING });
  const ops = controlOperations(topology, kafka, { actor: 'test' });

  it('refuses an unknown key, naming it and the settable ones', async () => {
    await assert.rejects(ops.setWindow(['batch.maxRecrods=500'], 'test'), {
      message: 'unknown setting "batch.maxRecrods"; settable: batch.maxRecords, batch.maxWaitMs, batch.minRecords',
    });
  });

  it('refuses a value that is no whole number or is outside the limits, naming the key', async () => {
    await assert.rejects(ops.setWindow(['batch.maxWaitMs=5s'], 'test'), {
      message: 'batch.maxWaitMs: "5s" is not a whole number (or "default")',
    });
    await assert.rejects(ops.setWindow(['batch.maxRecords=500', 'batch.maxRecords=5'], 'test'), (error: Error) => {
      assert.match(error.message, /^batch\.maxRecords: .*100/);
      return true;
    });
  });

  it('goes on to the control topic with settings that pass', async () => {
    await assert.rejects(ops.setWindow(['batch.maxRecords=500', 'batch.maxWaitMs=default'], 'test'), (error: Error) => {
      assert.ok(error instanceof StartupError, String(error));
      assert.match(error.message, /^kafka\.brokers: /);
      return true;
    });
  });
});

/**
 * Kafka as a change sees it when the control topic is missing or present: the admin calls that create and read it, a
 * reader with nothing to read, a producer that is never asked to send (every change below is refused).
 */
function controlTopicKafka(existing: readonly string[]) {
  const created: { topic: string; numPartitions?: number; configEntries?: { name: string; value: string }[] }[] = [];
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    listTopics: async () => [...existing, ...created.map((t) => t.topic)],
    createTopics: async ({ topics }: { topics: typeof created }) => void created.push(...topics),
    fetchTopicMetadata: async () => ({ topics: [{ partitions: [{ leader: 0 }] }] }),
    fetchTopicOffsets: async () => [{ partition: 0, low: '0', high: '0' }],
  };
  const consumer = {
    events: { FETCH: 'consumer.fetch', CRASH: 'consumer.crash' },
    on: () => () => undefined,
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async () => undefined,
    disconnect: async () => undefined,
  };
  const producer = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    send: async () => assert.fail('a refused change sends nothing'),
  };
  const kafka = { admin: () => admin, consumer: () => consumer, producer: () => producer } as unknown as Kafka;
  return { kafka, created };
}

describe('control operations: a change that creates the control topic says so', () => {
  it('tells the topology whose control topic it created, made as the control topic is, even if the change is refused', async () => {
    const { kafka, created } = controlTopicKafka([]);
    const told: string[] = [];
    const ops = controlOperations(topology, kafka, { actor: 'test', onControlTopicCreated: (name) => told.push(name) });
    await assert.rejects(ops.pause('test'), {
      message: 'no rollout in progress (`fraudscore rollout status` shows the state)',
    });
    assert.deepEqual(told, [topology.name]);
    assert.deepEqual(
      created.map(({ topic, numPartitions, configEntries }) => ({ topic, numPartitions, configEntries })),
      [
        {
          topic: `${topology.name}.control`,
          numPartitions: 1,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'retention.ms', value: '-1' },
          ],
        },
      ],
    );
  });

  it('tells nothing when the control topic was there', async () => {
    const { kafka, created } = controlTopicKafka([`${topology.name}.control`]);
    const told: string[] = [];
    const ops = controlOperations(topology, kafka, { actor: 'test', onControlTopicCreated: (name) => told.push(name) });
    await assert.rejects(ops.pause('test'), /^Error: no rollout in progress/);
    assert.deepEqual(told, []);
    assert.deepEqual(created, []);
  });
});

describe('control operations: a challenger is checked against the schema this topology computes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudscore-operations-schema-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const kafka = new Kafka({ brokers: ['127.0.0.1:1'], retry: { retries: 0 }, logLevel: logLevel.NOTHING });

  it('takes a model of its schema (then needs Kafka) and refuses one of the default 7-day schema', async () => {
    const threeDays = topologyFeatureSchema({ features: { set: 'card-baseline-v1', labelDelayDays: 3 } });
    const registry = join(dir, 'registry');
    const models = openFsRegistry(registry);
    for (const [version, schema] of [
      ['1', FEATURE_SCHEMA.version],
      ['2', threeDays.version],
    ] as const) {
      const model = fakeModel(`card-fraud@${version}`);
      const card = makeCard('card-fraud', version, model, { featureSchemaVersion: schema });
      await models.register(
        { model, card: new TextEncoder().encode(JSON.stringify(card)), cardMd: new TextEncoder().encode('# card\n') },
        { champion: version === '1' },
      );
    }
    const text = readFileSync('topologies/card-payments.yaml', 'utf8')
      .replace(/^( {2}registry:) \.\/registry$/m, `$1 ${registry}`)
      .replace(/^( {2}labelDelayDays:) 7$/m, '$1 3');
    const ops = controlOperations(parseTopology(text, 't.yaml', { FRAUDSCORE_KAFKA_BROKERS: '127.0.0.1:1' }), kafka, {
      actor: 'test',
    });
    // Past the model check: the change goes on to the control topic, which is unreachable here.
    await assert.rejects(ops.shadowStart('card-fraud@2', 'test'), /^StartupError: kafka\.brokers: /);
    await assert.rejects(ops.shadowStart('card-fraud@1', 'test'), (error: Error) => {
      assert.match(error.message, /card-fraud@1/);
      assert.match(error.message, new RegExp(FEATURE_SCHEMA.version.replace(/[+.]/g, '\\$&')));
      assert.match(error.message, new RegExp(threeDays.version.replace(/[+.]/g, '\\$&')));
      return true;
    });
  });
});

describe('control operations: the kill switch never goes back to the model a rollback left', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudscore-operations-kill-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const kafka = new Kafka({ brokers: ['127.0.0.1:1'], retry: { retries: 0 }, logLevel: logLevel.NOTHING });

  it('after a rollback from card-fraud@5 to card-fraud@1 (whose card names no target), refuses rather than serve @5', async () => {
    // The committed registry: card-fraud@5 champion, its card naming @1; @1's card names none.
    const registry = join(dir, 'registry');
    cpSync('registry', registry, { recursive: true });
    const text = readFileSync('topologies/card-payments.yaml', 'utf8').replace(
      /^( {2}registry:) \.\/registry$/m,
      `$1 ${registry}`,
    );
    const ops = controlOperations(parseTopology(text, 't.yaml', { FRAUDSCORE_KAFKA_BROKERS: '127.0.0.1:1' }), kafka, {
      actor: 'test',
    });
    assert.equal(await ops.killTarget(EMPTY_VIEW), 'card-fraud@1');
    await openFsRegistry(registry).setChampion('card-fraud', '1');
    const refusal = (error: Error) => {
      assert.match(error.message, /^no rollback target for card-fraud@1: .*rolled back from/);
      assert.match(error.message, /train with --rollback-target/);
      return true;
    };
    // Rolled back in the registry (the topology follows its champion), or through the control topic.
    await assert.rejects(ops.killTarget(EMPTY_VIEW), refusal);
    const rolledBack: ControlView = { ...EMPTY_VIEW, state: { ...EMPTY_VIEW.state, champion: 'card-fraud@1' } };
    await assert.rejects(ops.killTarget(rolledBack), refusal);
  });
});
