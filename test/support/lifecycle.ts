import assert from 'node:assert/strict';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Topology } from '../../src/config/index.js';
import { controlOperations, type ControlOperations } from '../../src/lifecycle/operations.js';
import type { ServingStatus } from '../../src/runtime/serving.js';
import { controlTopicName } from '../../src/adapters/kafka/control/index.js';
import { validEvents } from './events.js';
import { readCommitted, testKafka, testTopology, type ReadRecord, type TestProducer } from './stack.js';
import { assertAllScoresFinite, assertExactlyOneOutcome } from './invariants.js';

/**
 * A registry of its own (promotions write its index): the committed card-fraud models plus the broken-scores fixture
 * (a model emitting NaN, ±Infinity and 1.5), for a deliberately bad challenger.
 */
export function tempRegistry(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fraudscore-registry-'));
  cpSync('registry', dir, { recursive: true });
  cpSync('test/fixtures/broken-registry', dir, { recursive: true });
  return dir;
}

/**
 * An isolated topology serving from a temporary registry, and its control topic among the topics to delete. It
 * serves card-fraud@1 by version, not the registry's champion: the lifecycle tests roll card-fraud@2 out against @1
 * and expect @1 back under the kill switch, whichever version the committed registry makes champion.
 */
export function lifecycleTopology(overrides: Parameters<typeof testTopology>[0] = {}) {
  const base = testTopology(overrides);
  const topology: Topology = {
    ...base.topology,
    model: { ...base.topology.model, registry: tempRegistry(), version: '1' },
  };
  return { topology, topics: [...base.topics, controlTopicName(topology.name)] };
}

export function testOperations(topology: Topology, actor = 'test'): ControlOperations {
  return controlOperations(topology, testKafka(), { actor });
}

/** Valid events over many customers (routing shares are per customer). */
export function manyCustomerEvents(count: number, prefix: string, customers = 2000) {
  return validEvents(count, prefix).map((event, i) => ({ ...event, customer_id: `cust-${(i * 7919) % customers}` }));
}

export async function sendEvents(
  producer: TestProducer,
  topology: Topology,
  events: readonly { customer_id: string }[],
): Promise<void> {
  await producer.send(
    topology.topics.input,
    events.map((event) => ({
      key: event.customer_id,
      value: producer.serde.encode(producer.transactionSchemaId, event),
    })),
  );
}

export async function healthz(address: string): Promise<{ status: string; control: ServingStatus }> {
  return (await (await fetch(`http://${address}/healthz`)).json()) as { status: string; control: ServingStatus };
}

/** Waits until the worker at `address` applies at least `version`; returns its status. */
export async function waitForApplied(address: string, version: number, timeoutMs = 30_000): Promise<ServingStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { control } = await healthz(address);
    if (control.appliedVersion >= version) return control;
    if (Date.now() > deadline) {
      throw new Error(
        `worker ${address} applies v${control.appliedVersion}, not v${version}: ${JSON.stringify(control)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Reads the topology's input, output and dead-letter topics read_committed: `sent` inputs, each with one outcome. */
export async function assertEveryInputScoredOnce(topology: Topology, sent: number): Promise<void> {
  const inputs = await readCommitted([topology.topics.input], (r) => r.length >= sent, 30_000, { raw: true });
  const outputs = await readCommitted(
    [topology.topics.output, topology.topics.deadLetter],
    (r) => r.length >= sent,
    30_000,
    { settleMs: 500 },
  );
  const scores = outputs.filter((r) => r.topic === topology.topics.output);
  assertExactlyOneOutcome(
    inputs,
    scores,
    outputs.filter((r) => r.topic === topology.topics.deadLetter),
  );
  assertAllScoresFinite(scores);
}

/**
 * Sends `count` events over many customers and returns their scores once every one of them is out; `sentBefore`
 * is how many inputs the topic had before (the output holds one outcome per input).
 */
export async function scoreRound(
  producer: TestProducer,
  topology: Topology,
  round: { readonly prefix: string; readonly count: number; readonly sentBefore: number },
): Promise<ReadRecord[]> {
  const events = manyCustomerEvents(round.count, round.prefix);
  await sendEvents(producer, topology, events);
  const total = round.sentBefore + round.count;
  const outputs = await readCommitted([topology.topics.output], (r) => r.length >= total, 60_000);
  const ids = new Set(events.map((e) => e.transaction_id));
  const scores = outputs.filter((r) => ids.has(r.value['transaction_id'] as string));
  // readCommitted returns what it read when the time is up: a round that stalled must fail here, not pass as empty.
  assert.equal(scores.length, round.count, `round ${round.prefix}: scores out within 60 s`);
  return scores;
}
