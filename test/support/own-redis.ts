/**
 * A Redis of a test's own, started, killed and restarted through the project's stack script (deploy/local/stack.sh
 * `up|kill|down redis`) on a port and state directory nobody else uses: tests that lose or restart Redis must never
 * touch the shared development stack's instance. Persistence is whatever deploy/local/env.sh defaults to (the test
 * does not set FRAUDSCORE_REDIS_APPENDONLY), so a restart test also proves that default.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface OwnRedis {
  readonly url: string;
  up(): void;
  /** SIGKILL, as a crash: no shutdown save. */
  kill(): void;
  /** Stops it and deletes its state directory. */
  destroy(): void;
}

export function ownRedis(port: number): OwnRedis {
  mkdirSync(resolve('.fraudscore'), { recursive: true });
  const state = mkdtempSync(join(resolve('.fraudscore'), 'own-redis-'));
  const env: NodeJS.ProcessEnv = { ...process.env, FRAUDSCORE_REDIS_PORT: String(port), FRAUDSCORE_STATE: state };
  delete env['FRAUDSCORE_REDIS_APPENDONLY'];
  delete env['FRAUDSCORE_REDIS_URL'];
  const stack = (...args: string[]) =>
    execFileSync('bash', ['deploy/local/stack.sh', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  return {
    url: `redis://127.0.0.1:${port}`,
    up: () => stack('up', 'redis'),
    kill: () => stack('kill', 'redis'),
    destroy() {
      try {
        stack('down', 'redis');
      } finally {
        rmSync(state, { recursive: true, force: true });
      }
    },
  };
}
