/**
 * Where fault drills run: a stack of their own, never the shared development stack, since they kill and restart its
 * services. Import this module FIRST (before test/support/stack.js, whose STACK reads the environment when loaded):
 * it fills in the drill stack's ports and state directory and derives the connection settings from them, as
 * deploy/local/env.sh does, and refuses settings that would point the drill at another stack.
 */
import { resolve } from 'node:path';

/** Ports of the drill stack: the development stack's plus 10000, so both can run side by side. */
const DRILL_DEFAULTS = {
  FRAUDSCORE_KAFKA_PORT: '29092',
  FRAUDSCORE_KAFKA_CONTROLLER_PORT: '29093',
  FRAUDSCORE_REGISTRY_PORT: '28081',
  FRAUDSCORE_REGISTRY_MGMT_PORT: '28082',
  FRAUDSCORE_REDIS_PORT: '26379',
} as const;

const SHARED_STATE = resolve('.fraudscore/stack');

export class DrillEnvironmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DrillEnvironmentError';
  }
}

/** Sets the drill stack's variables in `env` (defaults only where unset) and checks that they agree. */
export function prepareDrillEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of Object.entries(DRILL_DEFAULTS)) env[name] ??= value;
  env['FRAUDSCORE_STATE'] ??= resolve('.fraudscore/drill-stack');
  if (resolve(env['FRAUDSCORE_STATE']) === SHARED_STATE && env['FRAUDSCORE_DRILL_ALLOW_SHARED_STACK'] !== '1') {
    throw new DrillEnvironmentError(
      `FRAUDSCORE_STATE=${env['FRAUDSCORE_STATE']} is the development stack's state: fault drills kill and restart ` +
        'its services. Unset FRAUDSCORE_STATE (the drill then uses .fraudscore/drill-stack on ports 2xxxx), or set ' +
        'FRAUDSCORE_DRILL_ALLOW_SHARED_STACK=1 if nobody else uses that stack.',
    );
  }
  const expected = {
    FRAUDSCORE_KAFKA_BROKERS: `127.0.0.1:${env['FRAUDSCORE_KAFKA_PORT']}`,
    FRAUDSCORE_REGISTRY_URL: `http://127.0.0.1:${env['FRAUDSCORE_REGISTRY_PORT']}/apis/ccompat/v7`,
    FRAUDSCORE_REDIS_URL: `redis://127.0.0.1:${env['FRAUDSCORE_REDIS_PORT']}`,
  };
  for (const [name, value] of Object.entries(expected)) {
    const given = env[name];
    if (given !== undefined && given !== value) {
      // Killing one stack while the pipeline talks to another would prove nothing.
      throw new DrillEnvironmentError(
        `${name}=${given} does not match the drill stack's ports (expected ${value}); unset it or fix the ` +
          'FRAUDSCORE_*_PORT variables. Drills only talk to 127.0.0.1.',
      );
    }
    env[name] = value;
  }
}

prepareDrillEnvironment();
