import type { ServingModel } from '../../src/runtime/serving-model.js';

/** A model whose scorer scores every row 0 and behaves like a session: it counts closes and refuses runs after one. */
export interface FakeServingModel extends ServingModel {
  /** How often its scorer was closed (a session is released once: more is a bug). */
  readonly closed: number;
  /** Runs that started before the first close and were still under way when it came (use after release). */
  readonly runsCutShort: number;
  /** Runs started from now on wait until the returned function lets them end. */
  holdRuns(): () => void;
}

export function fakeServingModel(ref: string, rollbackTarget: string | null = null): FakeServingModel {
  const [name = '', version = ''] = ref.split('@');
  let closed = 0;
  let running = 0;
  let runsCutShort = 0;
  let held: Promise<void> = Promise.resolve();
  return {
    name,
    version,
    featureSchemaVersion: 'fs',
    rollbackTarget,
    get closed() {
      return closed;
    },
    get runsCutShort() {
      return runsCutShort;
    },
    holdRuns() {
      let release = () => {};
      held = new Promise<void>((resolve) => (release = resolve));
      return release;
    },
    scorer: {
      async score(_features: Float32Array, rows: number) {
        if (closed > 0) throw new Error(`${ref}: session released`);
        running++;
        try {
          await held;
          return new Float32Array(rows);
        } finally {
          running--;
        }
      },
      close() {
        closed++;
        runsCutShort += running;
        return Promise.resolve();
      },
    },
  };
}
