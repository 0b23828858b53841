import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { freePorts } from './secure-stack.js';

/** An alert as Prometheus' /api/v1/alerts lists it. */
export interface PromAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  value: string;
}

const PROMETHEUS_SH = 'deploy/local/prometheus.sh';
const run = promisify(execFile);

/** Debian's Prometheus, started through deploy/local/prometheus.sh on a free port with its state under `dir`. */
export interface LocalPrometheus {
  /** http://127.0.0.1:<port> */
  readonly api: string;
  stop(): Promise<void>;
}

export async function startPrometheus(dir: string, config: object): Promise<LocalPrometheus> {
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, stringify(config));
  const port = (await freePorts(1))[0]!;
  const env = {
    ...process.env,
    FRAUDSCORE_STATE: join(dir, 'state'),
    FRAUDSCORE_PROMETHEUS_PORT: String(port),
    FRAUDSCORE_PROMETHEUS_CONFIG: configFile,
  };
  await run('bash', [PROMETHEUS_SH, 'up'], { env });
  return {
    api: `http://127.0.0.1:${port}`,
    stop: async () => {
      await run('bash', [PROMETHEUS_SH, 'down'], { env }).catch(() => undefined);
    },
  };
}

/** deploy/prometheus/fraudscore-rules.yml with every `for:` cut to `forDuration`, written into `dir`; its path. */
export function shortenedRules(dir: string, forDuration: string): string {
  const path = join(dir, 'rules.yml');
  const rules = readFileSync('deploy/prometheus/fraudscore-rules.yml', 'utf8').replace(
    /for: \S+/g,
    `for: ${forDuration}`,
  );
  writeFileSync(path, rules);
  return path;
}
