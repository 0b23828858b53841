import {
  DriftWindow,
  SCORE_QUANTILES,
  validateDriftPolicy,
  type DriftSnapshot,
  type DriftWindowPolicy,
} from '../../core/monitoring/index.js';
import type { MonitoringReference } from '../../core/monitoring/index.js';
import type { Logger } from './logger.js';
import type { PipelineMetrics } from './metrics.js';

/** What the drift monitor reads from a committed batch (the runner's BatchSummary has it). */
export interface DriftBatch {
  readonly modelVersion: string;
  readonly scores: ArrayLike<number>;
  /** Row-major, `featureNames.length` values per score. */
  readonly features: ArrayLike<number>;
}

export interface ServedModelReference {
  readonly name: string;
  readonly version: string;
  readonly monitoring?: MonitoringReference;
}

export interface DriftMonitorOptions {
  readonly models: readonly ServedModelReference[];
  readonly featureNames: readonly string[];
  readonly policy: DriftWindowPolicy;
  readonly metrics: PipelineMetrics;
  readonly log: Logger;
  readonly clock: () => number;
}

/**
 * Per committed batch: adds its records to the rolling drift window of the model version that scored them and sets
 * the window's size gauge. The drift gauges (PSI per feature and of the score, KS against the card's score sample,
 * score quantiles) are computed from the window when they are read (a scrape) and a batch came since: a snapshot
 * copies and sorts the window's scores (windowRecords, up to a million) and merges them with the card's sample, too
 * much for every batch when Prometheus reads them every 15 s or so. Below the window's minimum size the gauges of
 * that version are removed: "insufficient data" is an absent series, never a number. A model whose card has no
 * `monitoring` section gets no drift gauges (logged once).
 */
export class DriftMonitor {
  private readonly windows = new Map<string, DriftWindow>();
  private readonly last = new Map<string, DriftSnapshot>();
  /** Versions whose window took a batch since their gauges were last computed. */
  private readonly changed = new Set<string>();

  constructor(private readonly options: DriftMonitorOptions) {
    for (const model of options.models) {
      if (!model.monitoring) {
        options.log.info(
          { model: `${model.name}@${model.version}` },
          'model card has no monitoring section (trained before reference distributions): no drift gauges for it',
        );
        continue;
      }
      const problems = validateDriftPolicy(options.policy, model.monitoring.score.sample.length);
      if (problems.length > 0) {
        options.log.warn({ model: `${model.name}@${model.version}`, problems }, 'drift window settings');
      }
      const window = new DriftWindow(model.monitoring, options.featureNames, options.policy);
      const untracked = options.featureNames.filter((name) => !window.trackedFeatures.includes(name));
      if (untracked.length > 0) {
        options.log.warn({ model: `${model.name}@${model.version}`, untracked }, 'no drift reference for features');
      }
      this.windows.set(model.version, window);
    }
    options.metrics.onDriftRead(() => this.refresh());
  }

  /** The snapshot of every model version whose window took a batch, up to date (the demo prints them). */
  snapshots(): ReadonlyMap<string, DriftSnapshot> {
    this.refresh();
    return this.last;
  }

  record(batch: DriftBatch): void {
    const window = this.windows.get(batch.modelVersion);
    if (!window) return;
    // Monitoring never stops scoring: the batch is committed already, and a bug here must not fail the runner.
    try {
      window.observe(this.options.clock(), batch.scores, batch.features, this.options.featureNames.length);
      this.options.metrics.driftWindowRecords.set({ model_version: batch.modelVersion }, window.records);
      this.changed.add(batch.modelVersion);
    } catch (error) {
      this.options.log.warn({ err: (error as Error).message }, 'drift monitoring failed for a batch');
    }
  }

  /** Computes and publishes the snapshots of the windows that took a batch since they were last computed. */
  private refresh(): void {
    if (this.changed.size === 0) return;
    const now = this.options.clock();
    for (const version of this.changed) {
      // A failure leaves the previous values: reading the metrics never throws.
      try {
        this.publish(version, this.windows.get(version)!.snapshot(now));
      } catch (error) {
        this.options.log.warn({ err: (error as Error).message, model_version: version }, 'drift snapshot failed');
      }
    }
    this.changed.clear();
  }

  private publish(version: string, snapshot: DriftSnapshot): void {
    const { metrics } = this.options;
    const previous = this.last.get(version);
    this.last.set(version, snapshot);
    metrics.driftWindowRecords.set({ model_version: version }, snapshot.records);
    if (snapshot.status === 'insufficient-data') {
      if (previous?.status !== 'insufficient-data') {
        for (const feature of previous?.status === 'ok' ? Object.keys(previous.featurePsi) : []) {
          metrics.featurePsi.remove({ model_version: version, feature });
        }
        metrics.scorePsi.remove({ model_version: version });
        metrics.scoreKsStatistic.remove({ model_version: version });
        metrics.scoreKsPValue.remove({ model_version: version });
        for (const q of SCORE_QUANTILES) metrics.scoreQuantile.remove({ model_version: version, quantile: String(q) });
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
}
