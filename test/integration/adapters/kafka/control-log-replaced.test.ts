/**
 * The control topic deleted under a reader, then created again by the next change an operator makes: the reader says
 * it has gone silent while the topic is gone, and tells the new log from the old one when it reads it (versions start
 * again at 1 there: a reader holding version 2 would otherwise ignore the kill switch written as version 1).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Kafka } from 'kafkajs';
import {
  appendControl,
  ControlFollower,
  ControlLogReplacedError,
  controlTopicName,
} from '../../../../src/adapters/kafka/control/index.js';
import { killSwitchOn, setBatchWindow } from '../../../../src/core/control/index.js';
import { deleteTopics, testKafka, uniqueName } from '../../../support/stack.js';

const META = { actor: 'test', reason: 'control log replaced' };

/** An operator's kill switch: on a deleted control topic, the first record of a new log. */
function flipKillSwitch(kafka: Kafka, topology: string) {
  return appendControl(
    kafka,
    topology,
    (view) => killSwitchOn(view.state, { target: 'card-fraud@1', reason: 'rollback', nowMs: Date.now() }),
    META,
  );
}

describe('control topic deleted and created again under its reader (real Kafka)', () => {
  const topology = uniqueName('replaced');
  const kafka = testKafka();
  const follower = new ControlFollower({ kafka, topology });
  after(async () => {
    await follower.stop();
    await deleteTopics([controlTopicName(topology)]);
  });

  it('goes silent while the topic is gone, then fails with the reason once it reads the new log', async () => {
    const logs: (string | undefined)[] = [];
    for (const maxRecords of [500, 600]) {
      const { record } = await appendControl(
        kafka,
        topology,
        (view) => setBatchWindow(view.state, { maxRecords, maxWaitMs: null, minRecords: null }),
        META,
      );
      logs.push(record.log);
    }
    assert.ok(logs[0] !== undefined && logs[1] === logs[0], `one log id for the log's records: ${logs.join(', ')}`);
    await follower.start();
    await follower.ready;
    assert.equal(follower.current().version, 2);
    const failed = follower.failed.then((error) => error);

    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [controlTopicName(topology)] });
    await admin.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const silentMs = Date.now() - follower.lastFetchAtMs();
    assert.ok(silentMs > 3_000, `the reader still fetched ${silentMs} ms ago with its topic deleted`);
    // Once kafkajs's retries are spent (~20 s), every fetch crashes while the topic is gone, and kafkajs alone
    // restarts the reader ~3 times a second (each restart leaves a little behind): the restarts are spaced out.
    const waitedFrom = Date.now();
    while (follower.restartCount() < 2 && Date.now() - waitedFrom < 60_000) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const before = follower.restartCount();
    assert.ok(before >= 2, `the reader was not restarted within 60 s of its topic's deletion (${before})`);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const restarts = follower.restartCount() - before;
    assert.ok(restarts >= 1 && restarts <= 4, `${restarts} restarts of the reader in 10 s without its topic`);

    // The next operator's change creates the topic again and, reading it empty, writes version 1.
    const { record } = await flipKillSwitch(kafka, topology);
    assert.equal(record.version, 1);
    assert.ok(record.log !== undefined && record.log !== logs[0], 'the new log draws a log id of its own');
    const error = await Promise.race([
      failed,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 60_000).unref()),
    ]);
    assert.ok(error instanceof ControlLogReplacedError, `not told within 60 s: ${String(error)}`);
    assert.match(error.message, new RegExp(`${controlTopicName(topology)} was deleted and created again`));
    assert.match(error.message, /restart the process to read the new log/);
    // Nothing of the new log was folded into the old view.
    assert.equal(follower.current().version, 2);
    assert.equal(follower.current().state.killSwitch.on, false);
  });

  it('created again at once with as many records as the reader had read: its recheck of the last record tells', async () => {
    const quick = uniqueName('replaced-quick');
    const reader = new ControlFollower({ kafka, topology: quick, recheckIntervalMs: 2_000 });
    try {
      const { record: first } = await appendControl(
        kafka,
        quick,
        (view) => setBatchWindow(view.state, { maxRecords: 500, maxWaitMs: null, minRecords: null }),
        META,
      );
      await reader.start();
      await reader.ready;
      assert.equal(reader.current().version, 1);
      const failed = reader.failed.then((error) => error);
      await deleteTopics([controlTopicName(quick)]);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      // The kill switch, as the new log's first record: the offset the reader waits at is the new log's end.
      const { record } = await flipKillSwitch(kafka, quick);
      assert.equal(record.version, 1);
      assert.notEqual(record.log, first.log);
      const error = await Promise.race([
        failed,
        new Promise<null>((resolve) => setTimeout(() => resolve(null), 60_000).unref()),
      ]);
      assert.ok(error instanceof ControlLogReplacedError, `not told within 60 s: ${String(error)}`);
      assert.match(error.message, /offset 0 holds another record than the one this reader read there/);
      assert.equal(reader.current().state.killSwitch.on, false);
    } finally {
      await reader.stop();
      await deleteTopics([controlTopicName(quick)]);
    }
  });
});
