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
 * the drift gauges from the window (PSI per feature and of the score, KS against the card's score sample, score
 * quantiles). Below the window's minimum size the gauges of that version are removed: "insufficient data" is an
 * absent series, never a number. A model whose card has no `monitoring` section gets no drift gauges (logged once).
 */
export class DriftMonitor {
  private readonly windows = new Map<string, DriftWindow>();
  private readonly last = new Map<string, DriftSnapshot>();

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
  }

  /** The latest snapshot per model version (the demo prints it). */
  snapshots(): ReadonlyMap<string, DriftSnapshot> {
    return this.last;
  }

  record(batch: DriftBatch): void {
    const window = this.windows.get(batch.modelVersion);
    if (!window) return;
    // Monitoring never stops scoring: the batch is committed already, and a bug here must not fail the runner.
    try {
      const now = this.options.clock();
      window.observe(now, batch.scores, batch.features, this.options.featureNames.length);
      this.publish(batch.modelVersion, window.snapshot(now));
    } catch (error) {
      this.options.log.warn({ err: (error as Error).message }, 'drift monitoring failed for a batch');
    }
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
