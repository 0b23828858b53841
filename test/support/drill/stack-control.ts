import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type Service = 'kafka' | 'registry' | 'redis';

/** Persistence of the drill stack's services; the stack's defaults are none (see deploy/local/env.sh). */
export interface Persistence {
  /** Redis append-only file, fsync every second. */
  readonly redisAppendOnly?: boolean;
  /** Registry schemas in an H2 file: ids survive a restart. */
  readonly registryFile?: boolean;
}

/**
 * deploy/local/stack.sh, driven from a drill: `up`, `kill` (SIGKILL), `restart` (SIGTERM, then up). Every call
 * inherits the drill environment (test/support/drill/env.ts), so it acts on the drill stack only.
 */
export class StackControl {
  private persistence: Persistence = {};

  setPersistence(persistence: Persistence): void {
    this.persistence = persistence;
  }

  up(...services: Service[]): Promise<string> {
    return this.stack('up', ...services);
  }

  kill(service: Service): Promise<string> {
    return this.stack('kill', service);
  }

  restart(service: Service): Promise<string> {
    return this.stack('restart', service);
  }

  /** Stops the services (all if none given); `--purge` deletes their state too. */
  down(...args: string[]): Promise<string> {
    return this.stack('down', ...args);
  }

  /**
   * SIGSTOP / SIGCONT to a service (the pid stack.sh recorded): it freezes, holding its connections open, and later
   * resumes where it was; its clients see no error, only requests that take that long.
   */
  signal(service: Service, signal: 'SIGSTOP' | 'SIGCONT'): void {
    const file = join(process.env['FRAUDSCORE_STATE'] as string, service, `${service}.pid`);
    process.kill(Number(readFileSync(file, 'utf8').trim()), signal);
  }

  async running(service: Service): Promise<boolean> {
    try {
      await this.stack('running', service);
      return true;
    } catch {
      return false;
    }
  }

  /** Any Kafka tool class on the stack's classpath (a JVM start: seconds). */
  kafkaTool(mainClass: string, ...args: string[]): Promise<string> {
    return this.stack('kafka-run', mainClass, ...args);
  }

  private async stack(...args: string[]): Promise<string> {
    const env = {
      ...process.env,
      FRAUDSCORE_REDIS_APPENDONLY: this.persistence.redisAppendOnly ? 'yes' : 'no',
      FRAUDSCORE_REGISTRY_STORAGE: this.persistence.registryFile ? 'file' : 'mem',
    };
    try {
      // Kafka's controlled shutdown plus start stays well under this; a hang must not stall a drill for ever.
      const { stdout } = await run('bash', ['deploy/local/stack.sh', ...args], { env, timeout: 240_000 });
      return stdout;
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`stack.sh ${args.join(' ')} failed: ${(error as Error).message}\n${stdout}${stderr}`, {
        cause: error,
      });
    }
  }
}
