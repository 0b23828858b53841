/**
 * A stack instance of a test's own, started through deploy/local/stack.sh on free ports with a temporary state dir:
 * a registry that starts fresh, services a test may stop and restart. Real processes, nothing faked; purged afterwards.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { stringify as stringifyYaml } from 'yaml';
import type { IsolationOverrides, Topology } from '../../src/config/index.js';
import { freePorts } from './secure-stack.js';
import { testTopology } from './stack.js';

export type StackService = 'kafka' | 'registry' | 'redis';

export interface OwnStack {
  readonly state: string;
  readonly brokers: string[];
  readonly registryUrl: string;
  readonly redisUrl: string;
  /** The environment stack.sh runs with; also what a `fraudscore` child process needs to reach this stack. */
  readonly env: Readonly<Record<string, string>>;
  /** Runs deploy/local/stack.sh against this instance (up, down, restart ...) and returns its output. */
  stack(...args: string[]): Promise<string>;
  kafka(): Kafka;
  /** Creates a topic and returns once a producer can write to every partition of it. */
  createTopic(topic: string, partitions: number): Promise<void>;
  /**
   * A test topology (own topics, group, key prefix) connected to this instance, changed by `adjust` if given, and
   * written to a YAML file for a `fraudscore` child process.
   */
  topology(
    overrides?: IsolationOverrides,
    adjust?: (topology: Topology) => Topology,
  ): { topology: Topology; file: string };
  /** Stops every service and deletes the state. */
  stop(): Promise<void>;
}

const SCRIPT = 'deploy/local/stack.sh';

/**
 * Starts the services. `env` adds settings of stack.sh (env.sh), e.g. FRAUDSCORE_REGISTRY_STORAGE; without one, the
 * stack's defaults apply, whatever the calling shell has set.
 */
export async function startOwnStack(
  services: readonly StackService[],
  env: Readonly<Record<string, string>> = {},
): Promise<OwnStack> {
  const state = mkdtempSync(join(tmpdir(), 'fraudscore-own-'));
  const [kafkaPort, controllerPort, registryPort, managementPort, redisPort] = (await freePorts(5)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const brokers = [`127.0.0.1:${kafkaPort}`];
  const registryUrl = `http://127.0.0.1:${registryPort}/apis/ccompat/v7`;
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const scriptEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && name !== 'FRAUDSCORE_REGISTRY_STORAGE' && name !== 'FRAUDSCORE_REDIS_APPENDONLY') {
      scriptEnv[name] = value;
    }
  }
  Object.assign(scriptEnv, {
    FRAUDSCORE_STATE: state,
    FRAUDSCORE_KAFKA_PORT: String(kafkaPort),
    FRAUDSCORE_KAFKA_CONTROLLER_PORT: String(controllerPort),
    FRAUDSCORE_REGISTRY_PORT: String(registryPort),
    FRAUDSCORE_REGISTRY_MGMT_PORT: String(managementPort),
    FRAUDSCORE_REDIS_PORT: String(redisPort),
    FRAUDSCORE_KAFKA_BROKERS: brokers.join(','),
    FRAUDSCORE_REGISTRY_URL: registryUrl,
    FRAUDSCORE_REDIS_URL: redisUrl,
    ...env,
  });
  const stack = (...args: string[]) =>
    new Promise<string>((resolve, reject) => {
      execFile(
        'bash',
        [SCRIPT, ...args],
        { env: scriptEnv, timeout: 300_000, maxBuffer: 4 << 20 },
        (error, stdout, stderr) => {
          if (error) reject(new Error(`${SCRIPT} ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`));
          else resolve(stdout + stderr);
        },
      );
    });
  // The services run detached: if this process ends without stop() (an uncaught error), stop them on the way out.
  const stopOnExit = () => {
    spawnSync('bash', [SCRIPT, 'down', '--purge'], { env: scriptEnv, stdio: 'ignore', timeout: 120_000 });
  };
  process.once('exit', stopOnExit);
  const stop = async () => {
    process.off('exit', stopOnExit);
    await stack('down', '--purge').catch((error: unknown) => {
      process.stderr.write(`own stack cleanup: ${(error as Error).message}\n`);
    });
    rmSync(state, { recursive: true, force: true });
  };
  const kafka = () => new Kafka({ clientId: 'fraudscore-test', brokers, logLevel: logLevel.NOTHING });
  try {
    await stack('up', ...services);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    state,
    brokers,
    registryUrl,
    redisUrl,
    env: scriptEnv,
    stack,
    kafka,
    async createTopic(topic, partitions) {
      const admin = kafka().admin();
      await admin.connect();
      try {
        await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }] });
        // A broker that just started may report a leader before that leader hosts the partition (writes then fail
        // with UNKNOWN_TOPIC_OR_PARTITION): asking every leader for its offsets waits for that, without writing.
        for (let attempt = 1; ; attempt++) {
          try {
            await admin.fetchTopicOffsets(topic);
            break;
          } catch (error) {
            if (attempt === 50) throw error;
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        }
      } finally {
        await admin.disconnect();
      }
    },
    topology(overrides = {}, adjust = (topology) => topology) {
      const base = testTopology(overrides).topology;
      const topology = adjust({
        ...base,
        kafka: { ...base.kafka, brokers },
        schemaRegistry: { ...base.schemaRegistry, url: registryUrl },
        redis: { ...base.redis, url: redisUrl },
      });
      const file = join(mkdtempSync(join(state, 'topology-')), 'topology.yaml');
      writeFileSync(file, stringifyYaml(topology));
      return { topology, file };
    },
    stop,
  };
}
