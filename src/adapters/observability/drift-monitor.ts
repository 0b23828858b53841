import {
  calendarFeatureNames,
  DriftWindow,
  SCORE_QUANTILES,
  validateDriftPolicy,
  type DecidedRows,
  type DriftSnapshot,
  type DriftWindowPolicy,
} from '../../core/monitoring/index.js';
import type { MonitoringReference } from '../../core/monitoring/index.js';
import { formatModelRef } from '../../core/models/ref.js';
import { DEFAULT_LABEL_DELAY_MS, defineFeatureSet, type FeatureDefinition } from '../../core/features/definitions.js';
import type { Logger } from './logger.js';
import type { PipelineMetrics } from './metrics.js';

export interface ServedModelReference {
  readonly name: string;
  readonly version: string;
  readonly monitoring?: MonitoringReference;
}

/** What the drift monitor reads from a committed batch (the runner's BatchSummary has it). */
export interface DriftBatch {
  readonly scores: ArrayLike<number>;
  /** Row-major, `featureNames.length` values per score. */
  readonly features: ArrayLike<number>;
  /** Which model decided which records: each model's records go to its own window. */
  readonly deciders: readonly DecidedRows<ServedModelReference>[];
  /**
   * Every model (`name@version`) the plan the batch was scored with lets decide, whether or not it decided a record
   * of this batch (a 1 % challenger may get none): the windows and series of any other model are dropped.
   */
  readonly deciding: readonly string[];
}

export interface DriftMonitorOptions {
  /** Models whose windows exist from the start (the start-up model); any other gets one when it first decides. */
  readonly models: readonly ServedModelReference[];
  readonly featureNames: readonly string[];
  /**
   * The definitions behind `featureNames` (matched by name), which say which features are calendar functions of the
   * event time and so not drift-tracked (core/monitoring/drift-features.ts). Default: the feature set's own
   * definitions; the label delay they are made with changes no feature's kind (it only moves terminal windows).
   */
  readonly featureDefinitions?: readonly FeatureDefinition[];
  readonly policy: DriftWindowPolicy;
  readonly metrics: PipelineMetrics;
  readonly log: Logger;
  readonly clock: () => number;
}

/** A model's window and the label its gauges carry. */
interface ModelWindow {
  readonly window: DriftWindow;
  readonly version: string;
  /** By the worker's clock, when the model last decided a record (or its window was made). */
  lastDecidedMs: number;
}

/**
 * Per committed batch: adds each model's records to that model's rolling drift window (by `name@version`, made from its
 * card's reference the first time the model decides a batch: after a promotion, a kill switch or into a rollout) and
 * sets the window's size gauges (its records and its minRecords). The drift gauges (PSI per feature and of the score,
 * KS against the card's score sample, score quantiles) are computed from the window when they are read (a scrape) and a
 * batch came since: a snapshot copies and sorts the window's scores (windowRecords, up to a million) and merges them
 * with the card's sample, too much for every batch when Prometheus reads them every 15 s or so. Below the window's
 * minimum size the gauges of that model are removed: "insufficient data" is an absent series, never a number. A model
 * whose card has no `monitoring` section gets no drift gauges (logged when it starts deciding). Calendar features
 * (the event time's weekday or hour) are never tracked: a window of minutes to an hour of traffic holds one weekday
 * and one or two hours, unlike the training period the card's reference covers (core/monitoring/drift-features.ts).
 *
 * A model that no longer decides loses its window and every series it published, so that alert rules and the
 * dashboard never read a model that stopped serving as if it still did: at the first committed batch whose plan
 * leaves it out (a promotion, the kill switch or its release, a rollout's end), or once it has decided nothing for
 * the window's time span (`maxAgeMs`), after which its window would hold no record anyway (checked when the gauges
 * are read: a worker without traffic takes no batch). A model that decides again starts a new window.
 *
 * The gauges keep the `model_version` label alone, as the alert rules and the dashboard read them; two models of
 * different names with the same version (rare: one name is served per topology) keep separate windows, but publish
 * to the same series, the later write over the earlier.
 */
export class DriftMonitor {
  /** By `name@version`; null: the model's card has no usable reference (logged once, when it was first seen). */
  private readonly windows = new Map<string, ModelWindow | null>();
  private readonly last = new Map<string, DriftSnapshot>();
  /** Models (`name@version`) whose window took a batch since their gauges were last computed. */
  private readonly changed = new Set<string>();
  /** Features no window tracks, whatever the card holds: their value is the event time's weekday or hour. */
  private readonly calendarFeatures: readonly string[];

  constructor(private readonly options: DriftMonitorOptions) {
    const definitions = options.featureDefinitions ?? defineFeatureSet({ labelDelayMs: DEFAULT_LABEL_DELAY_MS });
    this.calendarFeatures = calendarFeatureNames(definitions).filter((name) => options.featureNames.includes(name));
    for (const model of options.models) this.windowOf(model);
    options.metrics.onDriftRead(() => this.refresh());
  }

  /** The snapshot of every model (`name@version`) whose window took a batch, up to date (the demo prints them). */
  snapshots(): ReadonlyMap<string, DriftSnapshot> {
    this.refresh();
    return this.last;
  }

  record(batch: DriftBatch): void {
    const now = this.options.clock();
    const deciding = new Set(batch.deciding);
    this.retireWhere((id) => !deciding.has(id), 'it left the serving plan');
    for (const { model, rows } of batch.deciders) {
      // Monitoring never stops scoring: the batch is committed already, and a bug here must not fail the runner.
      try {
        const entry = this.windowOf(model);
        if (!entry) continue;
        entry.window.observe(now, batch.scores, batch.features, this.options.featureNames.length, rows);
        entry.lastDecidedMs = now;
        this.options.metrics.driftWindowRecords.set({ model_version: entry.version }, entry.window.records);
        this.changed.add(formatModelRef(model));
      } catch (error) {
        this.options.log.warn(
          { err: (error as Error).message, model: formatModelRef(model) },
          'drift monitoring failed for a batch',
        );
      }
    }
  }

  /** The model's window, made on first sight from its card's reference (null, logged once: it has none). */
  private windowOf(model: ServedModelReference): ModelWindow | null {
    const id = formatModelRef(model);
    const known = this.windows.get(id);
    if (known !== undefined) return known;
    const { featureNames, policy, log } = this.options;
    // Set before anything can throw: a card whose reference cannot be read is reported once, not once per batch.
    this.windows.set(id, null);
    if (!model.monitoring) {
      log.info(
        { model: id },
        'model card has no monitoring section (trained before reference distributions): no drift gauges for it',
      );
      return null;
    }
    const problems = validateDriftPolicy(policy, model.monitoring.score.sample.length);
    if (problems.length > 0) log.warn({ model: id, problems }, 'drift window settings');
    const window = new DriftWindow(model.monitoring, featureNames, policy, this.calendarFeatures);
    const untracked = featureNames.filter(
      (name) => !window.trackedFeatures.includes(name) && !this.calendarFeatures.includes(name),
    );
    if (untracked.length > 0) log.warn({ model: id, untracked }, 'no drift reference for features');
    const entry = { window, version: model.version, lastDecidedMs: this.options.clock() };
    this.windows.set(id, entry);
    // Beside the window's size, the size at which its drift gauges appear (the dashboard compares the two): set
    // once per window, removed with it.
    this.options.metrics.driftWindowMinRecords.set({ model_version: entry.version }, policy.minRecords);
    return entry;
  }

  /**
   * Drops the windows of the models `leaving` picks, and removes their series: all of a model's drift gauges, its
   * window size too. A series another live model publishes as well (same version, another name) stays.
   */
  private retireWhere(leaving: (id: string, entry: ModelWindow | null) => boolean, why: string): void {
    // Monitoring never stops scoring: record() runs once the batch is committed, and reading never throws.
    try {
      for (const [id, entry] of this.windows) {
        if (!leaving(id, entry)) continue;
        this.windows.delete(id);
        this.last.delete(id);
        this.changed.delete(id);
        if (!entry) continue;
        this.options.log.info({ model: id, why }, 'drift window and series dropped: the model no longer decides');
        if ([...this.windows.values()].some((other) => other?.version === entry.version)) continue;
        this.options.metrics.driftWindowRecords.remove({ model_version: entry.version });
        this.options.metrics.driftWindowMinRecords.remove({ model_version: entry.version });
        this.removeDriftGauges(entry.version, entry.window.trackedFeatures);
      }
    } catch (error) {
      this.options.log.warn({ err: (error as Error).message }, 'dropping drift windows failed');
    }
  }

  /** Computes and publishes the snapshots of the windows that took a batch since they were last computed. */
  private refresh(): void {
    const now = this.options.clock();
    const since = now - this.options.policy.maxAgeMs;
    this.retireWhere((_id, entry) => entry !== null && entry.lastDecidedMs < since, 'it decided nothing for windowMs');
    if (this.changed.size === 0) return;
    for (const id of this.changed) {
      const entry = this.windows.get(id)!;
      // A failure leaves the previous values: reading the metrics never throws.
      try {
        this.publish(id, entry.version, entry.window.snapshot(now));
      } catch (error) {
        this.options.log.warn({ err: (error as Error).message, model: id }, 'drift snapshot failed');
      }
    }
    this.changed.clear();
  }

  private publish(id: string, version: string, snapshot: DriftSnapshot): void {
    const { metrics } = this.options;
    const previous = this.last.get(id);
    this.last.set(id, snapshot);
    metrics.driftWindowRecords.set({ model_version: version }, snapshot.records);
    if (snapshot.status === 'insufficient-data') {
      if (previous?.status !== 'insufficient-data') {
        this.removeDriftGauges(version, previous?.status === 'ok' ? Object.keys(previous.featurePsi) : []);
      }
      return;
    }
    for (const [feature, value] of Object.entries(snapshot.featurePsi)) {
      metrics.featurePsi.set({ model_version: version, feature }, value);
    }
    metrics.scorePsi.set({ model_version: version }, snapshot.scorePsi);
    metrics.scoreKsStatistic.set({ model_version: version }, snapshot.ks.statistic);
    // NaN when the card's sample is too small for the implemented p-value (ks.ts): absent, not a number.
    if (Number.isFinite(snapshot.ks.pValue)) metrics.scoreKsPValue.set({ model_version: version }, snapshot.ks.pValue);
    else metrics.scoreKsPValue.remove({ model_version: version });
    for (const q of SCORE_QUANTILES) {
      metrics.scoreQuantile.set({ model_version: version, quantile: String(q) }, snapshot.quantiles[q]);
    }
  }

  /** Removes a model version's drift gauges (all but the window size): absent series, never a stale number. */
  private removeDriftGauges(version: string, features: readonly string[]): void {
    const { metrics } = this.options;
    for (const feature of features) metrics.featurePsi.remove({ model_version: version, feature });
    metrics.scorePsi.remove({ model_version: version });
    metrics.scoreKsStatistic.remove({ model_version: version });
    metrics.scoreKsPValue.remove({ model_version: version });
    for (const q of SCORE_QUANTILES) metrics.scoreQuantile.remove({ model_version: version, quantile: String(q) });
  }
}
