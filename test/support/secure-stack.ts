/**
 * The secured services of deploy/local/secure-stack.sh, started by a test on free ports in a temp state dir with
 * passwords of its own, and purged afterwards. Real Kafka, Redis and Apicurio processes: nothing is faked.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { stringify as stringifyYaml } from 'yaml';
import { loadTopology, type Topology } from '../../src/config/index.js';
import type { RegistryConnection } from '../../src/config/index.js';
import type { IsolationOverrides } from '../../src/config/index.js';
import { testTopology } from './stack.js';

export type SecureService = 'kafka' | 'redis' | 'registry';

/** Names of the environment variables the secured topologies read their passwords from. */
export const SECRET_ENV = {
  kafka: 'FRAUDSCORE_TEST_KAFKA_PASSWORD',
  redis: 'FRAUDSCORE_TEST_REDIS_PASSWORD',
  registry: 'FRAUDSCORE_TEST_REGISTRY_PASSWORD',
} as const;

export interface SecureStack {
  readonly services: readonly SecureService[];
  readonly state: string;
  readonly user: string;
  /** The client passwords, distinctive enough that a test can grep every log line for them. */
  readonly secrets: Readonly<Record<SecureService, string>>;
  /** SECRET_ENV names mapped to the secrets: merge into a pipeline's or a child process's environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly kafka: { readonly brokers: string[]; readonly caFile: string };
  readonly redisUrl: string;
  readonly registryUrl: string;
  /** Seconds `secure-stack.sh up` took. */
  readonly startSeconds: number;
  /** A kafkajs client for test helpers (producer, reader, topic cleanup) over the SASL_SSL listener. */
  kafkaClient(): Kafka;
  registryConnection(): RegistryConnection;
  stop(): Promise<void>;
}

const SCRIPT = 'deploy/local/secure-stack.sh';

function run(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [SCRIPT, ...args],
      { env, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${SCRIPT} ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`));
        else resolve(stdout + stderr);
      },
    );
  });
}

/** Free TCP ports on 127.0.0.1 (held together while choosing, so the same port is never handed out twice). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

export async function startSecureStack(services: readonly SecureService[]): Promise<SecureStack> {
  const state = mkdtempSync(join(tmpdir(), 'fraudscore-secure-'));
  const [kafkaPort, controllerPort, redisPort, registryPort, managementPort] = (await freePorts(5)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const secrets = {
    kafka: `kafka-pw-${randomBytes(12).toString('hex')}`,
    redis: `redis-pw-${randomBytes(12).toString('hex')}`,
    registry: `registry-pw-${randomBytes(12).toString('hex')}`,
  };
  const user = 'fraudscore';
  const scriptEnv: NodeJS.ProcessEnv = {
    ...process.env,
    FRAUDSCORE_SECURE_STATE: state,
    FRAUDSCORE_SECURE_KAFKA_PORT: String(kafkaPort),
    FRAUDSCORE_SECURE_KAFKA_CONTROLLER_PORT: String(controllerPort),
    FRAUDSCORE_SECURE_REDIS_PORT: String(redisPort),
    FRAUDSCORE_SECURE_REGISTRY_PORT: String(registryPort),
    FRAUDSCORE_SECURE_REGISTRY_MGMT_PORT: String(managementPort),
    FRAUDSCORE_SECURE_USER: user,
    FRAUDSCORE_SECURE_KAFKA_PASSWORD: secrets.kafka,
    FRAUDSCORE_SECURE_REDIS_PASSWORD: secrets.redis,
    FRAUDSCORE_SECURE_REGISTRY_PASSWORD: secrets.registry,
  };
  // The services run detached (their own sessions): if this process ends without `after` running (an uncaught
  // error, process.exit), stop them on the way out. A SIGKILLed test process leaves them; `down --purge` with the
  // same FRAUDSCORE_SECURE_STATE then cleans up.
  const stopOnExit = () => {
    spawnSync('bash', [SCRIPT, 'down', '--purge'], { env: scriptEnv, stdio: 'ignore', timeout: 60_000 });
  };
  process.once('exit', stopOnExit);
  const stop = async () => {
    process.off('exit', stopOnExit);
    await run(['down', '--purge'], scriptEnv, 90_000).catch((error: unknown) => {
      process.stderr.write(`secure stack cleanup: ${(error as Error).message}\n`);
    });
    rmSync(state, { recursive: true, force: true });
  };
  const started = Date.now();
  try {
    await run(['up', ...services], scriptEnv, 240_000);
  } catch (error) {
    await stop();
    throw error;
  }
  const startSeconds = (Date.now() - started) / 1000;
  const brokers = [`127.0.0.1:${kafkaPort}`];
  const caFile = join(state, 'kafka', 'tls', 'ca.pem');
  const registryUrl = `http://127.0.0.1:${registryPort}/apis/ccompat/v7`;
  return {
    services,
    state,
    user,
    secrets,
    env: {
      [SECRET_ENV.kafka]: secrets.kafka,
      [SECRET_ENV.redis]: secrets.redis,
      [SECRET_ENV.registry]: secrets.registry,
    },
    kafka: { brokers, caFile },
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    registryUrl,
    startSeconds,
    kafkaClient: () =>
      new Kafka({
        clientId: 'fraudscore-test',
        brokers,
        logLevel: logLevel.NOTHING,
        ssl: { ca: [readFileSync(caFile, 'utf8')] },
        sasl: { mechanism: 'scram-sha-512', username: user, password: secrets.kafka },
      }),
    registryConnection: () => ({ url: registryUrl, username: user, password: secrets.registry }),
    stop,
  };
}

/**
 * A test topology (own topics, group, key prefix) whose connections to the given secured services carry credentials
 * as secret references: passwords from SECRET_ENV variables, or from files when `passwordFiles` says so. Written to
 * YAML and loaded back through loadTopology, exactly as the CLI would read it.
 */
export function secureTopology(
  stack: SecureStack,
  options: {
    overrides?: IsolationOverrides;
    /** Services whose password the topology reads from a file (written here, mode 600) instead of the env. */
    passwordFiles?: readonly SecureService[];
    /** Replace a password reference, e.g. to point it at a wrong one. */
    passwordEnv?: Partial<Record<SecureService, string>>;
  } = {},
): { topology: Topology; file: string; topics: string[] } {
  const base = testTopology(options.overrides ?? {});
  // Inside the stack's state dir, which `down --purge` deletes: password files included.
  const dir = mkdtempSync(join(stack.state, 'topology-'));
  const ref = (service: SecureService) => {
    if (options.passwordFiles?.includes(service)) {
      const file = join(dir, `${service}.password`);
      writeFileSync(file, `${stack.secrets[service]}\n`, { mode: 0o600 });
      return { file };
    }
    return { env: options.passwordEnv?.[service] ?? SECRET_ENV[service] };
  };
  const uses = (service: SecureService) => stack.services.includes(service);
  const raw = {
    ...base.topology,
    kafka: uses('kafka')
      ? {
          ...base.topology.kafka,
          brokers: stack.kafka.brokers,
          ssl: { caFile: stack.kafka.caFile },
          sasl: { mechanism: 'scram-sha-512', username: stack.user, password: ref('kafka') },
        }
      : base.topology.kafka,
    redis: uses('redis')
      ? { ...base.topology.redis, url: stack.redisUrl, username: stack.user, password: ref('redis') }
      : base.topology.redis,
    schemaRegistry: uses('registry')
      ? { url: stack.registryUrl, username: stack.user, password: ref('registry') }
      : base.topology.schemaRegistry,
  };
  // testTopology also wrote its own copy to a temp dir; only ours is used.
  rmSync(dirname(base.file), { recursive: true, force: true });
  const file = join(dir, 'topology.yaml');
  writeFileSync(file, stringifyYaml(raw));
  return { topology: loadTopology(file, {}), file, topics: base.topics };
}
