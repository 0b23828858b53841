import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { createLogger, type Logger, type LogLevel } from '../../../src/adapters/observability/logger.js';
import { loadTopology, TopologyError, type Topology } from '../../../src/config/index.js';
import { createPipeline } from '../../../src/runtime/context.js';
import { StartupError } from '../../../src/runtime/startup-errors.js';
import { validEvents } from '../../support/events.js';
import { secureTopology, startSecureStack, type SecureService, type SecureStack } from '../../support/secure-stack.js';
import { deleteTopics, readCommitted, testProducer } from '../../support/stack.js';
import { startWorker, stopWorker } from '../../support/worker-process.js';

/** A pino logger writing every line into memory. */
function captureLogger(level: LogLevel): { log: Logger; text: () => string; lines: () => string[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return {
    log: createLogger({ name: 'secrets-test', level, destination }),
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.length > 0),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Invariant 8, "secrets never reach logs": the pipeline runs with every secured connection (Kafka SASL_SSL, Redis
 * ACL user, registry basic auth), at log level debug, in-process and as the CLI; bad passwords make it fail. No
 * secret may appear in any log line, error message or process output, neither in clear nor base64-encoded (an HTTP
 * basic header carries base64("user:password")).
 */
describe('secrets never reach logs, error messages or command lines', () => {
  let stack: SecureStack;
  const topicsToDelete: string[] = [];
  /** Every rendering of every secret a leak could take. */
  let forbidden: string[] = [];

  function assertNoSecret(text: string, where: string, extra: readonly string[] = []): void {
    for (const secret of [...forbidden, ...extra]) {
      assert.ok(!text.includes(secret), `${where} contains a secret (${secret.slice(0, 6)}…)`);
    }
  }

  before(async () => {
    stack = await startSecureStack(['kafka', 'redis', 'registry']);
    process.stdout.write(`# secure kafka + redis + registry up in ${stack.startSeconds.toFixed(1)} s\n`);
    forbidden = Object.values(stack.secrets).flatMap((secret) => [
      secret,
      Buffer.from(secret).toString('base64'),
      Buffer.from(`${stack.user}:${secret}`).toString('base64'),
    ]);
  });

  after(async () => {
    if (stack) {
      await deleteTopics(topicsToDelete, stack.kafkaClient()).catch(() => undefined);
      await stack.stop();
    }
  });

  it('puts no secret on the command line of any service process', () => {
    for (const service of stack.services) {
      const pid = readFileSync(join(stack.state, service, `${service}.pid`), 'utf8').trim();
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      assert.ok(cmdline.length > 0);
      assertNoSecret(cmdline, `${service} command line`);
    }
  });

  it('redacts credential-shaped fields that a log call would carry (second line of defence)', () => {
    const capture = captureLogger('debug');
    const secret = stack.secrets.kafka;
    capture.log.info(
      {
        password: secret,
        config: { sasl: { mechanism: 'scram-sha-512', username: 'fraudscore', password: secret } },
        request: { headers: { Authorization: `Basic ${Buffer.from(`fraudscore:${secret}`).toString('base64')}` } },
        nested: { deeper: { password: secret } },
      },
      'an object holding credentials',
    );
    assert.match(capture.text(), /\[redacted\]/);
    assertNoSecret(capture.text(), 'redacted log line');
  });

  it('the pipeline at debug level: every log line is free of secrets', async () => {
    const { topology, topics } = secureTopology(stack, {
      overrides: { maxRecords: 200, maxWaitMs: 200 },
      // One secret from a file, the others from the environment: both paths are covered.
      passwordFiles: ['redis'],
    });
    topicsToDelete.push(...topics);
    const capture = captureLogger('debug');
    const pipeline = await createPipeline({
      topology,
      instanceId: 'secrets-1',
      metricsPort: 0,
      env: { ...process.env, ...stack.env },
      log: capture.log,
    });
    const producer = await testProducer(topology, { kafka: stack.kafkaClient(), registry: stack.registryConnection() });
    try {
      void pipeline.runner.start();
      const events = validEvents(400, 'secrets');
      await producer.send(
        topology.topics.input,
        events.map((event) => ({
          key: event.customer_id,
          value: producer.serde.encode(producer.transactionSchemaId, event),
        })),
      );
      const scores = await readCommitted([topology.topics.output], (r) => r.length >= events.length, 60_000, {
        kafka: stack.kafkaClient(),
        registry: stack.registryConnection(),
      });
      assert.equal(scores.length, events.length);
    } finally {
      await producer.close();
      await pipeline.close();
    }
    const lines = capture.lines();
    // Debug really was on: start-up, per-batch and shutdown lines are all there to be checked.
    assert.ok(lines.some((l) => l.includes('pipeline ready')));
    assert.ok(
      lines.some((l) => l.includes('"level":20')),
      'debug lines were written',
    );
    assert.ok(lines.length >= 5, `only ${lines.length} lines`);
    lines.forEach((line, i) => assertNoSecret(line, `log line ${i + 1}`));
  });

  it('`fraudscore run` at FRAUDSCORE_LOG_LEVEL=debug: stdout and stderr are free of secrets', async () => {
    const { topology, topics, file } = secureTopology(stack, { overrides: { maxRecords: 200, maxWaitMs: 200 } });
    topicsToDelete.push(...topics);
    const worker = startWorker(file, 'secrets-cli', { ...stack.env, FRAUDSCORE_LOG_LEVEL: 'debug' });
    try {
      for (let waited = 0; !worker.output().includes('pipeline ready'); waited += 100) {
        assert.ok(waited < 60_000 && worker.child.exitCode === null, `worker did not start:\n${worker.output()}`);
        await sleep(100);
      }
      const producer = await testProducer(topology, {
        kafka: stack.kafkaClient(),
        registry: stack.registryConnection(),
      });
      try {
        const events = validEvents(200, 'secrets-cli');
        await producer.send(
          topology.topics.input,
          events.map((event) => ({
            key: event.customer_id,
            value: producer.serde.encode(producer.transactionSchemaId, event),
          })),
        );
        const scores = await readCommitted([topology.topics.output], (r) => r.length >= events.length, 60_000, {
          kafka: stack.kafkaClient(),
          registry: stack.registryConnection(),
        });
        assert.equal(scores.length, events.length);
      } finally {
        await producer.close();
      }
    } finally {
      assert.equal(await stopWorker(worker), 0, worker.output());
    }
    const output = worker.output();
    assert.match(output, /"level":20/, 'debug lines were written');
    assert.match(output, /stopped cleanly/);
    assertNoSecret(output, 'CLI output');
  });

  /** A topology whose `service` password reference points at a wrong value. */
  function wrongPassword(service: SecureService): {
    topology: Topology;
    file: string;
    env: Record<string, string>;
    wrong: string;
  } {
    const variable = `FRAUDSCORE_TEST_WRONG_${service.toUpperCase()}_PASSWORD`;
    const wrong = `wrong-${service}-${stack.secrets[service].slice(-8)}`;
    const { topology, file, topics } = secureTopology(stack, { passwordEnv: { [service]: variable } });
    topicsToDelete.push(...topics);
    return { topology, file, env: { ...stack.env, [variable]: wrong }, wrong };
  }

  for (const [service, field] of [
    ['kafka', 'kafka.sasl.password'],
    ['redis', 'redis.password'],
    ['registry', 'schemaRegistry.password'],
  ] as const) {
    it(`a wrong ${service} password: the start-up error names ${field}, logs and message hold no secret`, async () => {
      const { topology, env, wrong } = wrongPassword(service);
      const capture = captureLogger('debug');
      const error = await createPipeline({
        topology,
        metricsPort: 0,
        env: { ...process.env, ...env },
        log: capture.log,
      }).then(
        () => assert.fail('start-up must fail'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof StartupError, String(error));
      assert.equal(error.field, field);
      assertNoSecret(error.message, 'error message', [wrong]);
      assertNoSecret(error.stack ?? '', 'error stack', [wrong]);
      assertNoSecret(JSON.stringify(error), 'serialised error', [wrong]);
      assertNoSecret(capture.text(), 'log lines', [wrong]);
    });
  }

  it('a password inside a connection URL is refused at start-up: the message names the field, never the secret', async () => {
    // The real secret in the URL forms a client would honour: ioredis takes ?password= as the password.
    const secret = stack.secrets.redis;
    const probe = new Redis(`${stack.redisUrl}/?username=${stack.user}&password=${encodeURIComponent(secret)}`, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    });
    try {
      await probe.connect();
      assert.equal(await probe.ping(), 'PONG', 'the query-string password really authenticates');
    } finally {
      probe.disconnect();
    }
    const { file, topics } = secureTopology(stack);
    topicsToDelete.push(...topics);
    // The URLs come in through the environment, as an operator's FRAUDSCORE_*_URL would.
    const raw = parseYaml(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
    (raw['redis'] as Record<string, unknown>)['url'] = '${FRAUDSCORE_TEST_REDIS_URL}';
    (raw['schemaRegistry'] as Record<string, unknown>)['url'] = '${FRAUDSCORE_TEST_REGISTRY_URL}';
    (raw['kafka'] as Record<string, unknown>)['brokers'] = ['${FRAUDSCORE_TEST_BROKERS}'];
    writeFileSync(file, stringifyYaml(raw));
    const registry = new URL(stack.registryUrl);
    const cases: [string, Record<string, string>, string][] = [
      ['redis ?password=', { FRAUDSCORE_TEST_REDIS_URL: `${stack.redisUrl}/?password=${secret}` }, 'redis.url'],
      [
        'redis user:password@',
        { FRAUDSCORE_TEST_REDIS_URL: stack.redisUrl.replace('//', `//${stack.user}:${secret}@`) },
        'redis.url',
      ],
      [
        'registry ?password=',
        { FRAUDSCORE_TEST_REGISTRY_URL: `${stack.registryUrl}?password=${stack.secrets.registry}` },
        'schemaRegistry.url',
      ],
      [
        'registry user:password@',
        {
          FRAUDSCORE_TEST_REGISTRY_URL: `${registry.protocol}//${stack.user}:${stack.secrets.registry}@${registry.host}${registry.pathname}`,
        },
        'schemaRegistry.url',
      ],
      [
        'kafka user:password@',
        { FRAUDSCORE_TEST_BROKERS: `${stack.user}:${stack.secrets.kafka}@${stack.kafka.brokers[0]}` },
        'kafka.brokers.0',
      ],
    ];
    for (const [name, urls, field] of cases) {
      const env = {
        ...stack.env,
        FRAUDSCORE_TEST_REDIS_URL: stack.redisUrl,
        FRAUDSCORE_TEST_REGISTRY_URL: stack.registryUrl,
        FRAUDSCORE_TEST_BROKERS: stack.kafka.brokers.join(','),
        ...urls,
      };
      const error = (() => {
        try {
          loadTopology(file, env);
          return undefined;
        } catch (e) {
          return e;
        }
      })();
      assert.ok(error instanceof TopologyError, `${name}: refused (${String(error)})`);
      assert.ok(
        error.problems.some((p) => p.startsWith(`${field}: no credentials in the address`)),
        error.message,
      );
      assertNoSecret(error.message, `${name}: error message`);
      assertNoSecret(JSON.stringify(error), `${name}: serialised error`);
      const worker = startWorker(file, `inline-${field}`, { ...env, FRAUDSCORE_LOG_LEVEL: 'debug' });
      const code = await Promise.race([worker.exited, sleep(30_000).then(() => 'hung' as const)]);
      if (code === 'hung') await stopWorker(worker, 'SIGKILL');
      assert.equal(code, 1, `${name}: exit code\n${worker.output()}`);
      assert.match(worker.output(), new RegExp(`^  - ${field.replaceAll('.', '\\.')}: no credentials`, 'm'));
      assertNoSecret(worker.output(), `${name}: CLI output`);
    }
  });

  it('the CLI with a wrong password exits non-zero, promptly, with one clear line and no secret', async () => {
    for (const [service, field] of [
      ['kafka', 'kafka.sasl.password'],
      ['redis', 'redis.password'],
    ] as const) {
      const { file, env, wrong } = wrongPassword(service);
      const worker = startWorker(file, `wrong-${service}`, { ...env, FRAUDSCORE_LOG_LEVEL: 'debug' });
      const started = Date.now();
      const code = await Promise.race([worker.exited, sleep(30_000).then(() => 'hung' as const)]);
      if (code === 'hung') await stopWorker(worker, 'SIGKILL');
      assert.equal(code, 1, `${service}: exit code (${Date.now() - started} ms)\n${worker.output()}`);
      const output = worker.output();
      assert.match(output, new RegExp(`^fraudscore: ${field.replaceAll('.', '\\.')}: `, 'm'));
      assert.ok(!/^\s+at /m.test(output), `${service}: no stack trace in the output:\n${output}`);
      assertNoSecret(output, `${service} CLI output`, [wrong]);
    }
  });
});
