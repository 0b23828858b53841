import type { BatchWindowPolicy } from '../core/batch/batch-window.js';
import {
  EMPTY_VIEW,
  modelsToKeep,
  planModels,
  servingPlan,
  type ControlView,
  type ServingPlan,
} from '../core/control/index.js';
import type { Logger } from '../adapters/observability/logger.js';
import type { PipelineMetrics } from '../adapters/observability/metrics.js';
import type { ServingModel } from './serving-model.js';
import { closeWhenIdle } from './close-when-idle.js';
import { TimedOut, withTimeout } from './timeout.js';

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
  /** Loads, verifies and warms up a model (SHA-256, feature schema, a trial batch); throws with the reason. */
  readonly load: (ref: string) => Promise<ServingModel>;
  readonly log: Logger;
  readonly metrics: PipelineMetrics;
  readonly clock: () => number;
  /** How long one model's load, verification and warm-up may take (default MODEL_LOAD_TIMEOUT_MS; tests shorten it). */
  readonly loadTimeoutMs?: number;
  /** Told whenever the status changes (the status store for `fraudscore control status`). */
  readonly onStatus?: (status: ServingStatus) => void;
  /** The wait before a refused view is tried again, doubling up to the longest (default REFUSED_VIEW_RETRY; tests shorten it). */
  readonly retry?: { readonly firstMs: number; readonly longestMs: number };
}

/**
 * A healthy load (registry read, SHA-256, session, warm-up batch) takes well under a second for our models and a few
 * seconds for a large one on a busy node. A kill-switch view loads at most its target before it is pending (the
 * target's own rollback target loads afterwards): 20 s leaves two thirds of the 60 s rollback promise for the batch
 * under way when it becomes ready.
 */
const MODEL_LOAD_TIMEOUT_MS = 20_000;

/**
 * A refused view is tried again while it is the newest: the first retry after a second (a registry read that failed
 * once, a node busy for a moment), then doubling up to 30 s, so a model that stays unreadable costs one load and one
 * log line per half minute, and a view that loads on a retry is still applied well within the kill switch's minute.
 */
const REFUSED_VIEW_RETRY = { firstMs: 1_000, longestMs: 30_000 } as const;

/** How often start-up looks whether the newest view read is applied (a retry of a refused one may have made it so). */
const STARTUP_APPLIED_POLL_MS = 250;

/**
 * Holds the models and the serving plan of one worker. A control view arrives from the control topic at any time;
 * it is prepared in the background (every model it names loaded, verified and warmed up on a batch) and applied
 * only when the runner asks at a batch boundary (`beforeBatch`), so a batch is always scored by one configuration.
 * A view whose models fail to load, or do not load within the time limit, is refused with the reason: the worker
 * keeps serving as it was, reports itself not ready (`unreadyReason`) and tries the view again with backoff while it
 * is the newest (the control reader passes a view on only when it changes, so nothing else would). A newer view
 * supersedes the retry.
 *
 * A plan becomes pending once the models it scores with are loaded; the rollback target of its decider (the model
 * the next kill switch names) loads after that, so no change, a kill switch least of all, waits for a model it does
 * not score with. A target that fails to load is logged and loaded again by the next view that names its decider.
 *
 * Views are prepared side by side, not one after another: a load that hangs (a stuck filesystem, a session that
 * never returns) must not hold a later view, above all a kill switch, whose models are usually at hand already. So
 * a view becomes the pending one only if no newer view was offered while its models loaded; one that was superseded
 * is dropped, whether its models loaded or not (the newer view, a whole state, says what to serve).
 *
 * Models no longer needed are released (their sessions closed, 15-35 MiB each) at the batch boundary, right after a
 * pending plan is applied (the runner passes one at least every 500 ms, idle or not): a worker that goes through
 * rollouts and rollbacks all evening keeps a bounded set. Kept are the models `modelsToKeep` names: those of the
 * applied plan, the rollback target of its decider (the kill switch's), the default champion, and every model a
 * preparation under way loads or has loaded. The last closes the race between a preparation and a release: a
 * preparation holds its models from its start until its view is pending (the hold and the pending plan change hands
 * in one synchronous step, so no batch boundary falls between them) or dropped; a pending plan is applied at the next
 * boundary before anything is released. While the kill switch is on, the champion it replaced is named by nothing:
 * `kill-switch off` loads it again, a change that may take a load's time where the kill switch may not.
 *
 * Why the boundary is safe: the runner calls `beforeBatch` for batch N+1 only after batch N's scoring has returned
 * (its commit overlaps the next batch, its scoring does not; see Runner.formBatches), and a batch asks `current()`
 * once, after its own `beforeBatch`. So no batch scores with a model the plan applied at a boundary no longer names,
 * except a challenger's run that batch N abandoned at its time limit: every model's scorer closes only once its runs
 * under way have ended (close-when-idle.ts).
 *
 * `close()` releases every model; a load that ends afterwards closes its session instead of serving it, and later
 * offers and champion changes load nothing.
 */
export class Serving {
  private readonly models = new Map<string, ServingModel>();
  /** What each preparation under way loads or has loaded: kept until its view is pending, or dropped. */
  private readonly preparing = new Set<Set<string>>();
  /** Loads under way, by `name@version`: views naming the same model wait for the one load, never start a second. */
  private readonly loading = new Map<string, Promise<ServingModel>>();
  private active: { plan: ServingPlan; view: ControlView | null };
  private pending: { plan: ServingPlan; view: ControlView; cause?: 'registry champion' } | undefined;
  /** The newest view offered, and how many preparations were started: a preparation started earlier is superseded. */
  private latestView: ControlView = EMPTY_VIEW;
  private started = 0;
  private latestSeen = 0;
  private appliedAtMs: number | null = null;
  private firstBatchAtMs: number | null = null;
  private rejected: ServingStatus['rejected'] = null;
  /** The newest view, refused: tried again when `timer` fires, until it applies or a newer view is offered. */
  private refused: {
    readonly view: ControlView;
    readonly cause: 'registry champion' | undefined;
    readonly reason: string;
    readonly attempts: number;
    timer: NodeJS.Timeout | null;
  } | null = null;
  /** The topology's champion and window: what serves where the control state names none (the registry may move it). */
  private defaults: ServingDeps['defaults'];
  private closed = false;

  constructor(private readonly deps: ServingDeps) {
    this.defaults = deps.defaults;
    const champion = `${deps.initial.name}@${deps.initial.version}`;
    this.admit(champion, deps.initial);
    this.active = {
      plan: servingPlan(EMPTY_VIEW, { champion, window: deps.defaults.window }),
      view: null,
    };
    this.report();
  }

  /** A new view from the control topic: prepared now, applied at the next batch boundary. */
  offer(view: ControlView): Promise<void> {
    this.latestSeen = Math.max(this.latestSeen, view.version);
    this.deps.metrics.controlSeenVersion.set(this.latestSeen);
    if (view.version >= this.latestView.version) this.latestView = view;
    return this.prepare(view);
  }

  private async prepare(view: ControlView, cause?: 'registry champion'): Promise<void> {
    if (this.closed || view.version < this.latestSeen) return; // closed, or offered out of order: nothing to load
    const turn = ++this.started;
    this.stopRetry(view);
    const plan = servingPlan(view, this.defaults);
    const hold = this.hold(plan);
    let madePending = false;
    try {
      await this.loadPlan(plan);
      if (this.closed) return;
      if (this.superseded(turn)) {
        this.deps.log.info(
          { version: view.version, latestSeen: this.latestSeen },
          'control change superseded while its models loaded: not applied',
        );
        return;
      }
      this.pending = cause ? { plan, view, cause } : { plan, view };
      madePending = true;
    } catch (error) {
      if (this.closed) return;
      const reason = (error as Error).message;
      const fields = { version: view.version, change: view.record?.change.kind, err: reason };
      // Nobody waits for a superseded view any more: its failure is no refusal to report in the status.
      if (this.superseded(turn)) {
        this.deps.log.warn({ ...fields, latestSeen: this.latestSeen }, 'superseded control change failed to load');
        return;
      }
      this.rejected = { version: view.version, reason };
      const retryInMs = this.retryLater(view, cause, reason);
      this.deps.log.error(
        { ...fields, retryInMs },
        'control change refused: a model it names cannot be loaded; serving stays as it was until a retry loads it',
      );
      this.report();
    } finally {
      // In the step that made the plan pending (or dropped it): no batch boundary can release its models in between.
      this.preparing.delete(hold);
    }
    if (madePending) await this.loadRollbackTarget(plan.decider);
  }

  /** Arms the retry of a refused view (a preparation started meanwhile disarms it); returns its delay. */
  private retryLater(view: ControlView, cause: 'registry champion' | undefined, reason: string): number {
    const attempts = this.refused?.view.version === view.version ? this.refused.attempts + 1 : 1;
    const { firstMs, longestMs } = this.deps.retry ?? REFUSED_VIEW_RETRY;
    const delayMs = Math.min(firstMs * 2 ** (attempts - 1), longestMs);
    const timer = setTimeout(() => {
      if (this.refused?.timer !== timer) return;
      void this.prepare(view, cause);
    }, delayMs);
    // The worker's connections keep the process alive; a retry alone must not.
    timer.unref();
    this.refused = { view, cause, reason, attempts, timer };
    return delayMs;
  }

  /**
   * A preparation starts: the armed retry is not needed (this one is the retry, or a newer view supersedes it), and a
   * refused view older than the one prepared is the newest no longer.
   */
  private stopRetry(view: ControlView): void {
    if (!this.refused) return;
    if (this.refused.timer) clearTimeout(this.refused.timer);
    this.refused.timer = null;
    if (this.refused.view.version < view.version) this.refused = null;
  }

  private clearRefusal(): void {
    if (this.refused?.timer) clearTimeout(this.refused.timer);
    this.refused = null;
  }

  /**
   * Why this worker is not ready (null: it is): the newest control view it read was refused and is being retried,
   * so it serves an older state than every worker that applied it (during a kill switch, the model it replaced).
   */
  unreadyReason(): string | null {
    const refused = this.refused;
    if (!refused) return null;
    return (
      `control version ${refused.view.version} was refused (${refused.reason}); this worker serves version ` +
      `${this.active.plan.version} until a retry loads the models it names`
    );
  }

  /**
   * Start-up: resolves once the newest view read is applied, its refusals retried as long as it takes (or once
   * serving is closed). A worker started while the kill switch is on must not score a batch with the topology
   * file's model, the one the switch replaced; nothing scores yet, so applying at once is safe.
   */
  async untilNewestApplied(pollMs = STARTUP_APPLIED_POLL_MS): Promise<void> {
    for (;;) {
      this.beforeBatch();
      if (this.closed || this.active.plan.version >= this.latestSeen) return;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /** Keeps the plan's models and its decider's rollback target (once known) loaded until the preparation ends. */
  private hold(plan: ServingPlan): Set<string> {
    const hold = new Set(planModels(plan));
    const target = this.rollbackTargetOf(plan.decider);
    if (target) hold.add(target);
    this.preparing.add(hold);
    return hold;
  }

  /**
   * The registry's champion moved (a topology serving `model.version: champion`): it and the models of the newest
   * view are loaded, then that view is prepared again with the new default, applied at the next batch boundary.
   * Resolves false when it cannot be served (the reason logged and in the status): the old default stays, so every
   * later control change, a kill switch included, is prepared against models that load.
   *
   * The new champion is loaded even when the newest view does not score with it (the kill switch is on, or the control
   * topic names the champion): accepted unloaded, a champion this worker cannot serve (another feature schema, bytes
   * that do not verify) would surface only at the change that needs it, `kill-switch off`, refused then on every
   * worker until the registry's champion moved back.
   */
  async followDefaultChampion(ref: string): Promise<boolean> {
    if (this.closed) return false;
    if (ref === this.defaults.champion) return true;
    const defaults = { ...this.defaults, champion: ref };
    const view = this.latestView;
    const plan = servingPlan(view, defaults);
    const hold = this.hold(plan).add(ref);
    try {
      await this.ensureLoaded(ref);
      await this.loadPlan(plan);
      const before = servingPlan(this.latestView, this.defaults);
      this.defaults = defaults;
      // Under a champion the control topic names, or the kill switch, the default decides nothing: nothing to apply.
      // Otherwise the newest view again: a preparation started before the default changed is superseded by this one.
      if (servingPlan(this.latestView, defaults).decider !== before.decider) {
        await this.prepare(this.latestView, 'registry champion');
      }
      return true;
    } catch (error) {
      if (this.closed) return false;
      this.rejected = { version: view.version, reason: `registry champion ${ref}: ${(error as Error).message}` };
      this.deps.log.error(
        { champion: ref, serving: this.defaults.champion, err: (error as Error).message },
        'the registry champion cannot be served; serving stays as it was',
      );
      this.report();
      return false;
    } finally {
      this.preparing.delete(hold);
    }
  }

  /** Every model a plan scores with (its preparation's hold names them already); throws when one cannot be loaded. */
  private async loadPlan(plan: ServingPlan): Promise<void> {
    for (const ref of planModels(plan)) await this.ensureLoaded(ref);
  }

  /**
   * The kill switch's target, loaded once the plan naming its decider is pending: at hand before it is needed, kept
   * by the release rule while that plan is pending or applied. A failure leaves the change as it is.
   */
  private async loadRollbackTarget(decider: string): Promise<void> {
    const target = this.rollbackTargetOf(decider);
    if (!target || this.closed) return;
    await this.ensureLoaded(target).catch((error: unknown) => {
      if (this.closed) return;
      this.deps.log.warn(
        { decider, target, err: (error as Error).message },
        'rollback target cannot be loaded: a kill switch naming it would wait for its load; the next control change loads it again',
      );
    });
  }

  /** The kill switch's target the card of a loaded model names. */
  private rollbackTargetOf(ref: string): string | null | undefined {
    return this.models.get(ref)?.rollbackTarget;
  }

  /** A preparation is superseded once a later one started: the later one saw a newer view or default. */
  private superseded(turn: number): boolean {
    return turn < this.started;
  }

  private ensureLoaded(ref: string): Promise<ServingModel> {
    const loaded = this.models.get(ref);
    if (loaded) return Promise.resolve(loaded);
    let loading = this.loading.get(ref);
    if (!loading) {
      loading = this.loadInTime(ref).finally(() => this.loading.delete(ref));
      this.loading.set(ref, loading);
    }
    return loading;
  }

  /** Loads, verifies and warms up a model within the time limit; only then is it one of this worker's models. */
  private async loadInTime(ref: string): Promise<ServingModel> {
    const timeoutMs = this.deps.loadTimeoutMs ?? MODEL_LOAD_TIMEOUT_MS;
    const work = this.deps.load(ref);
    let model: ServingModel;
    try {
      model = await withTimeout(work, timeoutMs);
    } catch (error) {
      if (!(error instanceof TimedOut)) throw error;
      // The load may still finish: its session is then closed, never served (no view waits for it any more; a
      // later view naming the model loads it afresh). One that never finishes cannot be released from here.
      work.then(
        (late) => late.scorer.close().catch(() => undefined),
        () => undefined,
      );
      throw new Error(`model ${ref} was not loaded, verified and warmed up within ${timeoutMs} ms`);
    }
    if (this.closed) {
      // Nothing serves any more: the session is closed here, or it would stay open for the life of the process.
      await model.scorer.close().catch(() => undefined);
      throw new Error(`model ${ref} loaded after serving was closed: not served`);
    }
    this.deps.log.info({ model: ref }, 'model loaded, verified and warmed up');
    return this.admit(ref, model);
  }

  /** Makes a loaded, verified model one of this worker's: its session closes only once no run of it is under way. */
  private admit(ref: string, model: ServingModel): ServingModel {
    const admitted = { ...model, scorer: closeWhenIdle(model.scorer) };
    this.models.set(ref, admitted);
    this.deps.metrics.modelsLoaded.set(this.models.size);
    return admitted;
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
      if (this.refused && this.refused.view.version <= pending.view.version) this.clearRefusal();
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
    this.releaseUnneeded();
    return this.active.plan.window;
  }

  /**
   * Closes and drops every model nothing can be served with next (the class comment says why the batch boundary is
   * the place): without it every model ever named would stay loaded for the life of the worker.
   */
  private releaseUnneeded(): void {
    const keep = modelsToKeep({
      // No plan is pending right after one was applied; named anyway, so the rule holds wherever it runs.
      plans: [this.active.plan, this.pending?.plan],
      rollbackTargetOf: (ref) => this.rollbackTargetOf(ref),
      defaultChampion: this.defaults.champion,
      preparing: [...this.preparing].flatMap((hold) => [...hold]),
    });
    for (const [ref, model] of this.models) {
      if (keep.has(ref)) continue;
      this.models.delete(ref);
      this.deps.log.info({ model: ref }, 'model released: no plan names it');
      model.scorer.close().catch((error: unknown) => {
        this.deps.log.warn({ model: ref, err: (error as Error).message }, 'released model failed to close');
      });
    }
    this.deps.metrics.modelsLoaded.set(this.models.size);
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
        // Either is a bug: a plan applied before its models, or a batch scoring on past the next batch boundary.
        if (!model) throw new Error(`model ${ref} is not loaded (a plan applied before its models, or released)`);
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

  /** Closes every model (one still scoring once its runs end); a load ending later closes its own session. */
  async close(): Promise<void> {
    this.closed = true;
    this.pending = undefined;
    this.clearRefusal();
    const models = [...this.models.values()];
    this.models.clear();
    for (const model of models) await model.scorer.close().catch(() => undefined);
  }
}

/**
 * One fixed model, no control topic: for tools and tests that score with a single model. It loads nothing and
 * releases nothing: the caller loaded the model and closes it.
 */
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
