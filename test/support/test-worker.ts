import { createLogger, logLevelFor } from '../../src/adapters/observability/logger.js';
import type { Topology } from '../../src/config/index.js';
import { createPipeline, type PipelineContext } from '../../src/runtime/context.js';

/**
 * A worker of `topology` in the test's process, started: metrics on any free port, logs at warn (TEST_LOG_LEVEL
 * changes it). Close it with `pipeline.close()`.
 */
export async function startTestWorker(topology: Topology, instanceId = 'w1'): Promise<PipelineContext> {
  const pipeline = await createPipeline({
    topology,
    instanceId,
    metricsPort: 0,
    log: createLogger({ name: 'test', level: logLevelFor('warn', process.env, 'TEST_LOG_LEVEL') }),
  });
  void pipeline.runner.start();
  return pipeline;
}
