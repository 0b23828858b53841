/**
 * The demos end when they are done, and when they are stopped. Done: `fraudscore demo` exits once its summary is out
 * (a limit's timer left pending kept it alive up to 2 minutes after it). Stopped with Ctrl-C (SIGINT): a demo winds
 * down through its own clean-up, stopping its pipeline or workers and the simulator, removing the run's topics and
 * Redis keys (and the lifecycle demo its registry copy), and still exits as interrupted (130); Node's own handling
 * ended it on the spot and left all of them on the stack. The same when the reader of its output goes (a closed pipe).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startCli } from '../../support/cli.js';
import { STACK, testKafka } from '../../support/stack.js';

/** A demo command run against the test stack, with its run id once printed. */
function startDemo(args: readonly string[], temp: string) {
  const demo = startCli(args, {
    env: {
      TMPDIR: temp,
      FRAUDSCORE_KAFKA_BROKERS: STACK.brokers.join(','),
      FRAUDSCORE_REGISTRY_URL: STACK.registryUrl,
      FRAUDSCORE_REDIS_URL: STACK.redisUrl,
    },
  });
  const runId = () => {
    const id = /^fraudscore (?:lifecycle )?demo ((?:demo|lifecycle)-[0-9a-z]+):/m.exec(demo.output())?.[1];
    assert.ok(id, `no run id printed:\n${demo.output()}`);
    return id;
  };
  return { ...demo, runId };
}

/** Runs a demo command until `ready` is printed, sends SIGINT, and returns its exit code, its output and its run id. */
async function interrupt(args: readonly string[], ready: RegExp, temp: string) {
  const demo = startDemo(args, temp);
  try {
    await demo.printed(ready, 120_000);
    demo.child.kill('SIGINT');
    const code = await demo.exited;
    return { code, printed: demo.output(), runId: demo.runId() };
  } finally {
    demo.child.kill('SIGKILL');
  }
}

/** What the run left: its topics on the broker and its keys in Redis. */
async function leftBehind(runId: string): Promise<{ topics: string[]; keys: string[] }> {
  const admin = testKafka().admin();
  await admin.connect();
  const redis = new Redis(STACK.redisUrl, { lazyConnect: true });
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(`${runId}.`));
    await redis.connect();
    const keys = await redis.keys(`fs:${runId}:*`);
    return { topics, keys };
  } finally {
    await admin.disconnect();
    redis.disconnect();
  }
}

describe('demos ending, done or stopped with Ctrl-C (real Kafka, Apicurio, Redis)', () => {
  // The demos' own temporary directory (TMPDIR), where the test sees what they leave behind.
  const temp = realpathSync(mkdtempSync(join(tmpdir(), 'fraudscore-demo-interrupted-')));
  after(() => rmSync(temp, { recursive: true, force: true }));

  it('fraudscore demo exits once its summary is printed, leaving no topic or key behind', async () => {
    const demo = startDemo(['demo', '--days', '3', '--customers', '500', '--terminals', '1000'], temp);
    try {
      const code = await demo.exited;
      const quiet = Date.now() - demo.lastOutputAt();
      assert.equal(code, 0, demo.output());
      assert.match(demo.output(), /^delayed labels /m);
      // Removing the run's data takes a second or two; the pending timer kept the process ~2 minutes.
      assert.ok(quiet < 30_000, `exited ${quiet} ms after its last line`);
      assert.deepEqual(await leftBehind(demo.runId()), { topics: [], keys: [] });
    } finally {
      demo.child.kill('SIGKILL');
    }
  });

  it('fraudscore demo, mid-stream: stops, removes its topics and keys, exits 130', async () => {
    const { code, printed, runId } = await interrupt(
      ['demo', '--days', '20', '--customers', '500', '--terminals', '1000'],
      /^pipeline up: /m,
      temp,
    );
    assert.equal(code, 130, printed);
    assert.match(printed, /\ndemo interrupted \(SIGINT\): stopping the pipeline and the simulator, then removing/);
    assert.match(printed, new RegExp(`\\ndemo ${runId} stopped; its topics and keys are removed\\n`));
    assert.doesNotMatch(printed, /reading the scores back/);
    assert.deepEqual(await leftBehind(runId), { topics: [], keys: [] });
  });

  // `fraudscore demo | head`: the reader goes mid-stream. `npm run demo | tee log` and Ctrl-C: the signal ends the
  // reader as well, and the wind-down's first line found no reader; the CLI ended on the spot there (141), leaving
  // the run's topics and keys.
  for (const [pipe, code] of [
    ['its reader goes (demo | head)', 141],
    ['Ctrl-C ends its reader too (demo | tee)', 130],
  ] as const) {
    it(`fraudscore demo, mid-stream, when ${pipe}: winds down, removes its topics and keys, exits ${code}`, async () => {
      const demo = startDemo(['demo', '--days', '20', '--customers', '500', '--terminals', '1000'], temp);
      try {
        await demo.printed(/^pipeline up: /m, 120_000);
        const runId = demo.runId();
        demo.child.stdout?.destroy();
        if (code === 130) demo.child.kill('SIGINT');
        assert.equal(await demo.exited, code, demo.output());
        assert.deepEqual(await leftBehind(runId), { topics: [], keys: [] });
      } finally {
        demo.child.kill('SIGKILL');
      }
    });
  }

  it('fraudscore demo-lifecycle, in shadow: closes its workers, removes its topics, keys and registry copy, exits 130', async () => {
    const { code, printed, runId } = await interrupt(
      ['demo-lifecycle', '--days', '10', '--min-records', '100000'],
      /^\[shadow\] v\d+: /m,
      temp,
    );
    assert.equal(code, 130, printed);
    assert.match(
      printed,
      /\ndemo interrupted \(SIGINT\): closing the workers, removing the run's topics and Redis keys/,
    );
    assert.deepEqual(await leftBehind(runId), { topics: [], keys: [] });
    assert.deepEqual(
      readdirSync(temp).filter((name) => name.startsWith('fraudscore-demo-registry-')),
      [],
      'the registry copy is left behind',
    );
  });
});
