import type { Topology } from '../config/index.js';
import type { Logger } from '../adapters/observability/logger.js';
import { openFsRegistry } from '../adapters/model-registry/index.js';
import { CHAMPION, formatModelRef } from '../core/models/ref.js';
import type { Serving } from './serving.js';
import { SerialPoll } from './serial-poll.js';

/**
 * How often a worker whose topology says `model.version: champion` reads the registry's champion. A promotion
 * (`fraudscore models promote`) then reaches every running worker of the topology within seconds, where before it
 * reached only the workers started after it; reading one small index file this often costs nothing.
 */
export const CHAMPION_POLL_MS = 5_000;

/** A champion that could not be served is tried again after this long, not at every poll (a load verifies bytes). */
export const FAILED_CHAMPION_RETRY_MS = 60_000;

export interface ChampionWatchDeps {
  /** The registry's champion as `name@version`; null when the model has none. */
  readonly readChampion: () => Promise<string | null>;
  /** Serves the new champion from the next batch boundary; resolves true once prepared, false when refused. */
  readonly follow: (ref: string) => Promise<boolean>;
  readonly log: Logger;
  readonly clock: () => number;
}

/**
 * Follows the registry's champion for a topology that serves "whichever version is champion": one poll reads the
 * champion and, when it differs from the last one served, hands it to serving (loaded, verified, warmed up, applied
 * at a batch boundary, like a control change). The control topic still wins: once a rollout has promoted a champion
 * there, the topology's default no longer decides anything.
 */
export class ChampionWatch {
  private served: string;
  private failed: { readonly ref: string; readonly atMs: number } | null = null;
  private readProblem: string | null = null;
  private readonly polling = new SerialPoll(() => this.poll());

  constructor(
    private readonly deps: ChampionWatchDeps,
    /** The champion the worker started with. */
    initial: string,
  ) {
    this.served = initial;
  }

  /** One read of the registry; a change is followed before it resolves. Never throws. */
  async poll(): Promise<void> {
    let champion: string | null;
    try {
      champion = await this.deps.readChampion();
      this.readProblem = null;
    } catch (error) {
      const problem = (error as Error).message;
      // A registry being rewritten or briefly unreadable: keep serving, say so once.
      if (problem !== this.readProblem) this.deps.log.warn({ err: problem }, 'registry champion cannot be read');
      this.readProblem = problem;
      return;
    }
    if (champion === null || champion === this.served) return;
    if (this.failed?.ref === champion && this.deps.clock() - this.failed.atMs < FAILED_CHAMPION_RETRY_MS) return;
    this.deps.log.info({ from: this.served, to: champion }, 'registry champion changed; following it');
    if (await this.deps.follow(champion)) {
      this.served = champion;
      this.failed = null;
    } else {
      this.failed = { ref: champion, atMs: this.deps.clock() };
    }
  }

  start(intervalMs = CHAMPION_POLL_MS): void {
    this.polling.start(intervalMs);
  }

  stop(): Promise<void> {
    return this.polling.stop();
  }
}

/**
 * A topology that serves "whichever version is champion" follows the registry while it runs: every worker moves to a
 * promoted version within seconds, so workers started before and after a promotion serve the same champion again within seconds.
 */
export function watchRegistryChampion(
  topology: Topology,
  serving: Serving,
  initial: string,
  log: Logger,
  clock: () => number,
): ChampionWatch | undefined {
  if (topology.model.version !== CHAMPION) return undefined;
  const registry = openFsRegistry(topology.model.registry);
  const { name } = topology.model;
  const watch = new ChampionWatch(
    {
      readChampion: async () => {
        const version = await registry.championOf(name);
        return version === null ? null : formatModelRef({ name, version });
      },
      follow: (ref) => serving.followDefaultChampion(ref),
      log,
      clock,
    },
    initial,
  );
  watch.start();
  return watch;
}
