/**
 * Before any worker of a topology has started (or after its control topic was deleted), the commands an operator reads
 * the control state with answer at once with the topology file's state, and create nothing: the topic is a worker's
 * (or the first change's) to create. They used to fail after ~10 s with kafkajs's "This server does not host this
 * topic-partition".
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { controlTopicName } from '../../../src/adapters/kafka/control/index.js';
import { fraudscore, startCli, type RunningCli } from '../../support/cli.js';
import { createTopics, deleteTopics, testKafka, testTopology } from '../../support/stack.js';

/**
 * Starts a rollout of card-fraud@2 on the topology file, then `rollout run --exit-when-done` on it (in that order: a
 * controller with --exit-when-done that finds no rollout in progress exits at once).
 */
function startControllerOfARollout(file: string) {
  const start = fraudscore(['rollout', 'start', 'card-fraud@2', '-t', file, '--reason', 'test']);
  assert.equal(start.status, 0, start.output);
  const controller = startCli(['rollout', 'run', '-t', file, '--interval', '1s', '--exit-when-done']);
  return {
    controller: controller.child,
    printed: controller.output,
    exited: controller.exited,
    until: (what: RegExp) => controller.printed(what),
  };
}

describe('control commands before the control topic exists (real Kafka, Redis)', () => {
  const { topology, file } = testTopology();

  it('read the topology file state and create no topic', async () => {
    const history = fraudscore(['control', 'history', '-t', file]);
    assert.equal(history.status, 0, history.output);
    assert.match(history.stdout, new RegExp(`the control topic ${controlTopicName(topology.name)} does not exist`));

    const status = fraudscore(['control', 'status', '-t', file]);
    assert.equal(status.status, 0, status.output);
    assert.match(status.stdout, /no control record yet; the topology file decides \(version 0\)/);

    const rollout = fraudscore(['rollout', 'status', '-t', file]);
    assert.equal(rollout.status, 0, rollout.output);
    assert.match(rollout.stdout, /gates {8}no rollout in progress/);

    const runbook = fraudscore(['docs', 'runbook', '-t', file]);
    assert.equal(runbook.status, 0, runbook.output);
    assert.match(runbook.stdout, /^# Runbook: /);

    const admin = testKafka().admin();
    await admin.connect();
    try {
      assert.ok(!(await admin.listTopics()).includes(controlTopicName(topology.name)), 'a reader created the topic');
    } finally {
      await admin.disconnect();
    }
  });

  it('rollout status, a rollout live before any worker made the output and labels topics: not judged, saying why', async () => {
    const live = testTopology();
    const { output, labels } = live.topology.topics;
    const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    try {
      const start = fraudscore(['rollout', 'start', 'card-fraud@2', '-t', live.file, '--max-score-psi', '2']);
      assert.equal(start.status, 0, start.output);
      const status = fraudscore(['rollout', 'status', '-t', live.file]);
      assert.equal(status.status, 0, status.output);
      assert.match(status.stdout, /gate bounds +score PSI under 2 set by this rollout, .* from the topology/);
      assert.match(
        status.stdout,
        new RegExp(
          `gates {8}not judged: ${literal(output)} \\(topics\\.output\\) and ${literal(labels)} \\(topics\\.labels\\) ` +
            'do not exist: no worker of topology',
        ),
      );
      const admin = testKafka().admin();
      await admin.connect();
      try {
        const topics = await admin.listTopics();
        assert.ok(!topics.includes(output) && !topics.includes(labels), 'a reader created the topics');
      } finally {
        await admin.disconnect();
      }
    } finally {
      await deleteTopics([controlTopicName(live.topology.name)]);
    }
  });

  it('rollout run, started before any worker made the output and labels topics: waits, then judges once they exist', async () => {
    const live = testTopology();
    const { output, labels } = live.topology.topics;
    const { controller, printed, exited, until } = startControllerOfARollout(live.file);
    try {
      await until(/ waiting: .* do not exist: no worker of topology .*; checking every 1000 ms\n/);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      assert.equal(printed().match(/ waiting: /g)?.length, 1, `said once:\n${printed()}`);
      assert.equal(controller.exitCode, null, `still running:\n${printed()}`);

      await createTopics([output, labels], live.topology.topics.partitions);
      await until(/rollout controller for .*: judging every 1000 ms/);
      const abort = fraudscore(['rollout', 'abort', '-t', live.file, '--reason', 'test']);
      assert.equal(abort.status, 0, abort.output);
      assert.equal(await exited, 0, printed());
    } finally {
      controller.kill();
      await deleteTopics([controlTopicName(live.topology.name), output, labels]);
    }
  });

  it('rollout run stopped by Ctrl-C, waiting or judging: exits 130 at once, saying the rollout stays unjudged', async () => {
    const live = testTopology();
    const { output, labels } = live.topology.topics;
    const stays = new RegExp(
      '^rollout run: interrupted \\(SIGINT\\): the rollout of card-fraud@2 stays at 1 % \\(stage 1/5\\) with no ' +
        'controller judging it: nothing advances it or rolls it back until `fraudscore rollout run -t .*` runs again',
      'm',
    );
    const stopped = async (child: { kill(signal: 'SIGINT'): boolean }, exited: Promise<number | null>) => {
      child.kill('SIGINT');
      return Promise.race([
        exited,
        new Promise<string>((resolve) => setTimeout(() => resolve('still running 5 s after SIGINT'), 5_000).unref()),
      ]);
    };
    const waiting = startControllerOfARollout(live.file);
    let run: RunningCli | null = null;
    try {
      await waiting.until(/ waiting: .* do not exist/);
      assert.equal(await stopped(waiting.controller, waiting.exited), 130, waiting.printed());
      assert.match(waiting.printed(), stays);

      await createTopics([output, labels], live.topology.topics.partitions);
      run = startCli(['rollout', 'run', '-t', live.file, '--interval', '1s']);
      await run.printed(/rollout controller for .*: judging every 1000 ms/);
      assert.equal(await stopped(run.child, run.exited), 130, run.output());
      assert.match(run.output(), stays);
      // Stopping the controller changed nothing: the rollout is still live at its stage.
      const status = fraudscore(['rollout', 'status', '-t', live.file]);
      assert.equal(status.status, 0, status.output);
      assert.match(status.stdout, /challenger +card-fraud@2: rollout 1 % \(stage 1\/5/);
    } finally {
      waiting.controller.kill();
      run?.child.kill();
      await deleteTopics([controlTopicName(live.topology.name), output, labels]);
    }
  });

  it('rollout run --exit-when-done, waiting for the topics: a rollout aborted meanwhile ends the wait and the run', async () => {
    const live = testTopology();
    const { controller, printed, exited, until } = startControllerOfARollout(live.file);
    try {
      await until(/ waiting: /);
      const abort = fraudscore(['rollout', 'abort', '-t', live.file, '--reason', 'test']);
      assert.equal(abort.status, 0, abort.output);
      const code = await Promise.race([
        exited,
        new Promise<string>((resolve) => setTimeout(() => resolve('still running after 15 s'), 15_000)),
      ]);
      assert.equal(code, 0, printed());
      assert.match(printed(), /no rollout in progress on .*: nothing to judge, exiting\n/);
    } finally {
      controller.kill();
      await deleteTopics([controlTopicName(live.topology.name)]);
    }
  });

  it('rollout run, waiting for the topics: its control reader stopping for good ends the wait with the reason', async () => {
    const live = testTopology();
    const { controller, printed, exited, until } = startControllerOfARollout(live.file);
    try {
      await until(/ waiting: /);
      // The control topic deleted under the controller, then made again by the next changes: a log it cannot follow.
      // The second record lands at the offset the reader had reached and tells it at once (the first alone would
      // tell it at its next recheck, within 10 s).
      await deleteTopics([controlTopicName(live.topology.name)]);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      for (const change of [
        ['rollout', 'start', 'card-fraud@2'],
        ['rollout', 'abort'],
      ]) {
        const changed = fraudscore([...change, '-t', live.file, '--reason', 'test']);
        assert.equal(changed.status, 0, changed.output);
      }
      const code = await Promise.race([
        exited,
        new Promise<string>((resolve) => setTimeout(() => resolve('still waiting after 120 s'), 120_000).unref()),
      ]);
      assert.equal(code, 1, printed());
      assert.match(printed(), /fraudscore: .* was deleted and created again.*restart the process to read the new log/);
      assert.doesNotMatch(printed(), /judging every/);
    } finally {
      controller.kill();
      await deleteTopics([controlTopicName(live.topology.name)]);
    }
  });
});
