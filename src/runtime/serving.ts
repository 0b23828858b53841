import type { BatchWindowPolicy } from '../core/batch/batch-window.js';
import { EMPTY_VIEW, planModels, servingPlan, type ControlView, type ServingPlan } from '../core/control/index.js';
import type { Logger } from '../adapters/observability/logger.js';
import type { PipelineMetrics } from '../adapters/observability/metrics.js';
import type { ServingModel } from './serving-model.js';

/** The configuration one batch is scored with: a plan and its loaded, verified models. */
export interface ActiveServing {
  readonly plan: ServingPlan;
  model(ref: string): ServingModel;
}

/** What this worker serves, for /healthz, the control status and the drills. */
export interface ServingStatus {
  readonly appliedVersion: number;
  /** When this worker switched to the applied version (at a batch boundary). */
  readonly appliedAtMs: number | null;
  /** When the control record of the applied version was written. */
  readonly recordAtMs: number | null;
  /** When the first batch scored with the applied version was taken (null: none yet). */
  readonly firstBatchAtMs: number | null;
  readonly latestSeenVersion: number;
  readonly decider: string;
  readonly killed: boolean;
  readonly challenger: string | null;
  readonly percent: number;
  readonly window: BatchWindowPolicy;
  /** The last change this worker refused to apply, and why (serving stayed as it was). */
  readonly rejected: { readonly version: number; readonly reason: string } | null;
}

export interface ServingDeps {
  /** The topology's model, resolved to `name@version`, and its batch window: what serves before any control record. */
  readonly defaults: { readonly champion: string; readonly window: BatchWindowPolicy };
  /** The topology's model, already loaded and verified at start-up. */
  readonly initial: ServingModel;
  /** Loads and verifies a model (SHA-256, feature schema); throws with the reason. */
  readonly load: (ref: string) => Promise<ServingModel>;
  /** Rows of the feature width to warm a new model up with. */
  readonly featureCount: number;
  readonly log: Logger;
  readonly metrics: PipelineMetrics;
  readonly clock: () => number;
  /** Told whenever the status changes (the status store for `fraudscore control status`). */
  readonly onStatus?: (status: ServingStatus) => void;
}

const WARM_UP_ROWS = 8;

/**
 * Holds the models and the serving plan of one worker. A control view arrives from the control topic at any time;
 * it is prepared in the background (every model it names loaded, verified and warmed up on a batch) and applied
 * only when the runner asks at a batch boundary (`beforeBatch`), so a batch is always scored by one configuration.
 * A view whose models fail to load is refused with the reason: the worker keeps serving as it was.
 */
export class Serving {
  private readonly models = new Map<string, ServingModel>();
  private active: { plan: ServingPlan; view: ControlView | null };
  private pending: { plan: ServingPlan; view: ControlView; cause?: 'registry champion' } | undefined;
  private preparing: Promise<void> = Promise.resolve();
  private latestSeen = 0;
  private appliedAtMs: number | null = null;
  private firstBatchAtMs: number | null = null;
  private rejected: ServingStatus['rejected'] = null;
  /** The topology's champion and window: what serves where the control state names none (the registry may move it). */
  private defaults: ServingDeps['defaults'];

  constructor(private readonly deps: ServingDeps) {
    this.defaults = deps.defaults;
    const champion = `${deps.initial.name}@${deps.initial.version}`;
    this.models.set(champion, deps.initial);
    this.active = {
      plan: servingPlan(EMPTY_VIEW, { champion, window: deps.defaults.window }),
      view: null,
    };
    this.report();
  }

  /** A new view from the control topic: prepared now, applied at the next batch boundary. */
  offer(view: ControlView): Promise<void> {
    this.latestSeen = Math.max(this.latestSeen, view.version);
    this.preparing = this.preparing.then(() => this.prepare(view));
    return this.preparing;
  }

  private async prepare(view: ControlView): Promise<void> {
    if (view.version < this.latestSeen) return; // a newer one is queued behind
    const plan = servingPlan(view, this.defaults);
    try {
      await this.loadPlan(plan);
      this.pending = { plan, view };
    } catch (error) {
      this.rejected = { version: view.version, reason: (error as Error).message };
      this.deps.log.error(
        { version: view.version, change: view.record?.change.kind, err: (error as Error).message },
        'control change refused: a model it names cannot be loaded; serving stays as it was',
      );
      this.report();
    }
  }

  /**
   * The registry's champion moved (a topology serving `model.version: champion`): prepared against the newest control
   * view like a control change, applied at the next batch boundary. Resolves false when it cannot be served (the
   * reason logged and in the status): the old default stays, so every later control change, a kill switch included,
   * is prepared against models that load.
   */
  followDefaultChampion(ref: string): Promise<boolean> {
    const prepared = this.preparing.then(async () => {
      if (ref === this.defaults.champion) return true;
      const defaults = { ...this.defaults, champion: ref };
      // Against the newest prepared view; views offered later are prepared with the new default anyway.
      const view = this.pending?.view ?? this.active.view ?? EMPTY_VIEW;
      const plan = servingPlan(view, defaults);
      try {
        await this.loadPlan(plan);
      } catch (error) {
        this.rejected = { version: view.version, reason: `registry champion ${ref}: ${(error as Error).message}` };
        this.deps.log.error(
          { champion: ref, serving: this.defaults.champion, err: (error as Error).message },
          'the registry champion cannot be served; serving stays as it was',
        );
        this.report();
        return false;
      }
      this.defaults = defaults;
      // Under a control-named champion or the kill switch, the plan is unchanged: nothing to apply.
      if (plan.decider !== this.active.plan.decider || this.pending) {
        this.pending = { plan, view, cause: 'registry champion' };
      }
      return true;
    });
    this.preparing = prepared.then(() => undefined);
    return prepared;
  }

  /** Every model a plan names; throws when one cannot be loaded. */
  private async loadPlan(plan: ServingPlan): Promise<void> {
    for (const ref of planModels(plan)) await this.ensureLoaded(ref);
    // The kill switch's target must be at hand before it is needed.
    const target = this.models.get(plan.decider)?.rollbackTarget;
    if (target)
      await this.ensureLoaded(target).catch((error: unknown) => {
        this.deps.log.warn({ target, err: (error as Error).message }, 'rollback target cannot be loaded');
      });
  }

  private async ensureLoaded(ref: string): Promise<ServingModel> {
    const loaded = this.models.get(ref);
    if (loaded) return loaded;
    const model = await this.deps.load(ref);
    // A model that cannot score a batch must not get traffic: score one before routing anything to it.
    await model.scorer.score(new Float32Array(WARM_UP_ROWS * this.deps.featureCount), WARM_UP_ROWS);
    this.models.set(ref, model);
    this.deps.log.info({ model: ref }, 'model loaded, verified and warmed up');
    return model;
  }

  /** The runner's batch-boundary hook: applies a prepared change, returns the batch window to use. */
  beforeBatch(): BatchWindowPolicy {
    const pending = this.pending;
    if (pending) {
      this.pending = undefined;
      this.active = pending;
      this.appliedAtMs = this.deps.clock();
      this.firstBatchAtMs = null;
      if (this.rejected && this.rejected.version <= pending.view.version) this.rejected = null;
      const { plan } = pending;
      this.deps.log.info(
        {
          version: plan.version,
          change: pending.cause ?? pending.view.record?.change.kind,
          decider: plan.decider,
          challenger: plan.challenger?.model ?? null,
          percent: plan.challenger?.percent ?? 0,
          window: plan.window,
          lagMs: pending.view.record ? this.appliedAtMs - pending.view.record.atMs : null,
        },
        pending.cause ? 'new registry champion applied' : 'control change applied',
      );
      this.report();
    }
    return this.active.plan.window;
  }

  /** What the batch being formed is scored with (called once per batch, after beforeBatch). */
  current(): ActiveServing {
    if (this.firstBatchAtMs === null) {
      this.firstBatchAtMs = this.deps.clock();
      this.report();
    }
    const models = this.models;
    return {
      plan: this.active.plan,
      model(ref) {
        const model = models.get(ref);
        if (!model) throw new Error(`model ${ref} is not loaded (bug: a plan was applied before its models)`);
        return model;
      },
    };
  }

  status(): ServingStatus {
    const { plan, view } = this.active;
    return {
      appliedVersion: plan.version,
      appliedAtMs: this.appliedAtMs,
      recordAtMs: view?.record?.atMs ?? null,
      firstBatchAtMs: this.firstBatchAtMs,
      latestSeenVersion: this.latestSeen,
      decider: plan.decider,
      killed: plan.killed,
      challenger: plan.challenger?.model ?? null,
      percent: plan.challenger?.percent ?? 0,
      window: plan.window,
      rejected: this.rejected,
    };
  }

  private report(): void {
    const { metrics } = this.deps;
    const status = this.status();
    metrics.controlAppliedVersion.set(status.appliedVersion);
    metrics.killSwitchActive.set(status.killed ? 1 : 0);
    metrics.batchWindowMaxRecords.set(status.window.maxRecords);
    metrics.batchWindowMaxWaitMs.set(status.window.maxWaitMs);
    metrics.batchWindowMinRecords.set(status.window.minRecords ?? 0);
    metrics.rolloutPercent.reset();
    if (status.challenger) metrics.rolloutPercent.set({ challenger: status.challenger }, status.percent);
    const [name, version] = status.decider.split('@');
    metrics.modelInfo.reset();
    metrics.modelInfo.set(
      {
        model: name ?? '',
        version: version ?? '',
        feature_schema: this.models.get(status.decider)?.featureSchemaVersion ?? '',
      },
      1,
    );
    this.deps.onStatus?.(status);
  }

  async close(): Promise<void> {
    for (const model of this.models.values()) await model.scorer.close().catch(() => undefined);
    this.models.clear();
  }
}

/** One fixed model, no control topic: for tools and tests that score with a single model. */
export function staticServing(model: ServingModel, window: BatchWindowPolicy = { maxRecords: 1000, maxWaitMs: 1000 }) {
  const ref = `${model.name}@${model.version}`;
  const active: ActiveServing = {
    plan: servingPlan(EMPTY_VIEW, { champion: ref, window }),
    model(wanted) {
      if (wanted !== ref) throw new Error(`only ${ref} is served here, not ${wanted}`);
      return model;
    },
  };
  return { current: () => active };
}
