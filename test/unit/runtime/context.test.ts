import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../../src/adapters/observability/logger.js';
import { loadTopology } from '../../../src/config/index.js';
import { createPipeline, pipelineLogger } from '../../../src/runtime/context.js';
import { StartupError, StartupErrorCode } from '../../../src/runtime/startup-errors.js';
import { occupiedPort } from '../../support/occupied-port.js';
import { silentServer, within } from '../../support/silent-server.js';

describe('createPipeline aborted during start-up', () => {
  it('rejects at once with the reason and closes the connection it had opened', async () => {
    // A Redis that never answers: start-up waits at its Redis step, after the model is loaded.
    const redis = await silentServer();
    try {
      const env = { FRAUDSCORE_REDIS_URL: `redis://127.0.0.1:${redis.port}`, FRAUDSCORE_INSTANCE_ID: 'w1' };
      const controller = new AbortController();
      const starting = createPipeline({
        topology: loadTopology('topologies/card-payments.yaml', env),
        env,
        log: createLogger({ name: 'test', level: 'silent' }),
        signal: controller.signal,
      });
      const { ended } = await within(
        Promise.race([redis.connected, starting.then(() => assert.fail('started without Redis'))]),
        30_000,
        'start-up reaching Redis',
      );
      const reason = new Error('SIGTERM during start-up');
      controller.abort(reason);
      await assert.rejects(within(starting, 2_000, 'start-up ending'), (error) => error === reason);
      await within(ended, 2_000, 'the Redis connection closed by the worker');
    } finally {
      await redis.close();
    }
  });
});

describe('createPipeline with a metrics port another process holds', () => {
  it('fails first, naming metrics.port, before the model, Redis or Kafka', async () => {
    // A Redis that never answers: reached at all, start-up would wait there instead of failing.
    const redis = await silentServer();
    try {
      await occupiedPort(async (port) => {
        const env = { FRAUDSCORE_REDIS_URL: `redis://127.0.0.1:${redis.port}`, FRAUDSCORE_INSTANCE_ID: 'w1' };
        const starting = createPipeline({
          topology: loadTopology('topologies/card-payments.yaml', env),
          env,
          log: createLogger({ name: 'test', level: 'silent' }),
          metricsPort: port,
        });
        await assert.rejects(
          within(starting, 2_000, 'start-up failing on the metrics port'),
          (error: unknown) =>
            error instanceof StartupError &&
            error.code === StartupErrorCode.MetricsPortInUse &&
            error.message.startsWith(`metrics.port: 127.0.0.1:${port} is already in use (EADDRINUSE)`),
        );
      });
      assert.equal(await Promise.race([redis.connected.then(() => true), false]), false, 'Redis was reached');
    } finally {
      await redis.close();
    }
  });
});

describe('the worker logger', () => {
  it('refuses a FRAUDSCORE_LOG_LEVEL pino lacks, naming the variable and the levels, before anything starts', () => {
    const topology = loadTopology('topologies/card-payments.yaml', {});
    assert.equal(pipelineLogger(topology, { FRAUDSCORE_LOG_LEVEL: 'debug' }).level, 'debug');
    assert.equal(pipelineLogger(topology, {}).level, 'info');
    assert.throws(
      () => pipelineLogger(topology, { FRAUDSCORE_LOG_LEVEL: 'verbose' }),
      /^Error: FRAUDSCORE_LOG_LEVEL: "verbose" is not a log level; use one of fatal, error, warn, info, debug, trace or silent/,
    );
  });
});
