import { quantile } from '../report/score-report.js';
import { pairedAuc } from '../monitoring/delong.js';
import { judgeAucShortfall } from './auc-judgement.js';
import {
  boundOriginText,
  effectiveGateBounds,
  type BoundOrigin,
  type GateBound,
  type RolloutGateBounds,
} from './gate-bounds.js';
import { scorePsi } from './psi.js';

/** The gates a rollout stage must hold before it advances (topology `rollout.gates`, with the defaults there). */
export interface GatePolicy {
  /** Records both models scored in the stage before any verdict. */
  readonly minRecords: number;
  /** Challenger batch latency p99 must be within this (the topology's serving SLO). */
  readonly latencyP99Ms: number;
  /** Largest allowed |challenger alert rate - champion alert rate| (absolute, e.g. 0.005 = half a point). */
  readonly maxAlertRateDelta: number;
  /** Largest allowed PSI of the challenger's scores against the champion's on the same records. */
  readonly maxScorePsi: number;
  /** The challenger's AUC may be lower than the champion's by at most this, once labels have matured. */
  readonly aucMargin: number;
  /** Labelled records (with both classes present) needed before the AUC gate is judged. */
  readonly minLabelled: number;
  /** Score at or above which a record counts as an alert (the topology's decision.reviewAt). */
  readonly alertAt: number;
  /** Where each bound above comes from, as the figures say it; absent: the topology's `rollout.gates`. */
  readonly from?: Readonly<Partial<Record<GateBound, BoundOrigin>>>;
}

/**
 * The policy a rollout's stage is judged with: the topology's, with each bound the rollout set for itself
 * (`rollout start --max-score-psi` …) in its place, and the figures told which is which.
 */
export function rolloutGatePolicy(topology: GatePolicy, rollout: RolloutGateBounds | undefined): GatePolicy {
  const bounds = effectiveGateBounds(topology, rollout);
  return {
    ...topology,
    maxScorePsi: bounds.maxScorePsi.value,
    maxAlertRateDelta: bounds.maxAlertRateDelta.value,
    aucMargin: bounds.aucMargin.value,
    from: {
      maxScorePsi: bounds.maxScorePsi.from,
      maxAlertRateDelta: bounds.maxAlertRateDelta.from,
      aucMargin: bounds.aucMargin.from,
    },
  };
}

/** "0.25 from the topology", "2 set by this rollout": a bound in a figure, and where it comes from. */
function boundText(policy: GatePolicy, bound: GateBound, prefix = ''): string {
  return `${prefix}${policy[bound]} ${boundOriginText(policy.from?.[bound] ?? 'topology')}`;
}

/** One stage's evidence: both models on the same records, from the output topic. */
export interface StageEvidence {
  /** Per record: both scores (null when that model failed: error, non-finite, timeout). */
  readonly champion: readonly (number | null)[];
  readonly challenger: readonly (number | null)[];
  /** One figure per batch: how long the challenger's model run took. */
  readonly challengerBatchMs: readonly number[];
  /** Matured labels of stage records: index into the arrays above, and whether it was fraud. */
  readonly labelled: readonly { readonly index: number; readonly fraud: boolean }[];
  readonly elapsedMs: number;
}

export type GateStatus = 'pass' | 'hold' | 'fail';

export interface GateResult {
  readonly gate: 'records' | 'duration' | 'latency' | 'non_finite' | 'alert_rate' | 'score_psi' | 'auc';
  readonly status: GateStatus;
  /** What was measured, for people: "p99 41.2 ms (bound 100 ms)". */
  readonly figure: string;
  readonly values: Readonly<Record<string, number | null>>;
}

export interface GateVerdict {
  /** fail if any gate fails; else hold if any holds; else pass. */
  readonly status: GateStatus;
  readonly gates: readonly GateResult[];
  readonly failed: GateResult | null;
}

/** Both models' alerts on the same records: how many alerted with one model only. */
export interface PairedAlerts {
  readonly records: number;
  /** Records the challenger alerts on and the champion does not. */
  readonly challengerOnly: number;
  /** Records the champion alerts on and the challenger does not. */
  readonly championOnly: number;
}

export interface AlertRateJudgement {
  readonly status: GateStatus;
  /** Challenger alert rate minus the champion's. */
  readonly delta: number;
  /** Twice the standard error of `delta`: how far it moves on its own at this many records. */
  readonly sampling: number;
}

/**
 * The alert-rate comparison, for the rollout gate and the shadow checklist alike, judged as the AUC gate is judged:
 * a delta within the bound passes; one beyond it fails only when the excess is also beyond sampling error, and holds
 * otherwise (more records decide). At a stage's 1,000 records a handful of alerts decide the rate, so without the
 * sampling error a challenger as good as the champion was rolled back by chance; one that alerts on everything still
 * fails at its first verdict.
 *
 * Both rates are over the same records, so the error is that of a paired difference: only the records the models
 * disagree on move it (McNemar), with variance ((b + c) / n − δ²) / n for b and c records alerted by one model only.
 * A tolerance far below one record in any window absorbs floating point: 24/1000 − 19/1000 is 0.005000000000000001,
 * which must pass a bound of 0.005.
 */
export function judgeAlertRates(alerts: PairedAlerts, bound: number): AlertRateJudgement {
  const { records: n, challengerOnly, championOnly } = alerts;
  if (n === 0) return { status: 'hold', delta: Number.NaN, sampling: Number.NaN };
  const delta = (challengerOnly - championOnly) / n;
  const sampling = 2 * Math.sqrt(Math.max(0, (challengerOnly + championOnly) / n - delta * delta) / n);
  const excess = Math.abs(delta) - bound;
  const status: GateStatus = excess <= 1e-12 ? 'pass' : excess > sampling + 1e-12 ? 'fail' : 'hold';
  return { status, delta, sampling };
}

/** Counts the records each model alerts on alone, over records both scored (`[champion, challenger]`). */
export function pairedAlerts(both: readonly (readonly [number, number])[], alertAt: number): PairedAlerts {
  let challengerOnly = 0;
  let championOnly = 0;
  for (const [champion, challenger] of both) {
    const championAlerts = champion >= alertAt;
    const challengerAlerts = challenger >= alertAt;
    if (challengerAlerts && !championAlerts) challengerOnly++;
    else if (championAlerts && !challengerAlerts) championOnly++;
  }
  return { records: both.length, challengerOnly, championOnly };
}

function rate(part: number, whole: number): number {
  return whole === 0 ? Number.NaN : part / whole;
}

const fixed = (n: number, digits = 4) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/**
 * Judges a stage. No data is inconclusive: too few records, a too-short stage, or too few matured labels HOLD the
 * stage (never pass it, never fail it). Failures are judged on what there is once the record minimum is reached,
 * so a badly broken challenger is rolled back at the first verdict rather than after the full step.
 */
export function evaluateGates(evidence: StageEvidence, policy: GatePolicy, stepMs: number): GateVerdict {
  const n = evidence.champion.length;
  const gates: GateResult[] = [];
  const enough = n >= policy.minRecords;
  gates.push({
    gate: 'records',
    status: enough ? 'pass' : 'hold',
    figure: `${n} records (minimum ${policy.minRecords})`,
    values: { records: n, minimum: policy.minRecords },
  });
  gates.push({
    gate: 'duration',
    status: evidence.elapsedMs >= stepMs ? 'pass' : 'hold',
    figure: `${Math.round(evidence.elapsedMs / 1000)} s of ${Math.round(stepMs / 1000)} s`,
    values: { elapsedMs: evidence.elapsedMs, stepMs },
  });
  if (!enough) return verdict(gates);

  const latencies = [...evidence.challengerBatchMs].sort((a, b) => a - b);
  const p99 = latencies.length > 0 ? quantile(latencies, 0.99) : Number.NaN;
  gates.push({
    gate: 'latency',
    status: Number.isNaN(p99) ? 'hold' : p99 <= policy.latencyP99Ms ? 'pass' : 'fail',
    figure: `challenger batch p99 ${fixed(p99, 1)} ms (SLO ${policy.latencyP99Ms} ms, ${latencies.length} batches)`,
    values: { p99Ms: Number.isNaN(p99) ? null : p99, sloMs: policy.latencyP99Ms },
  });

  const championFailures = evidence.champion.filter((s) => s === null).length;
  const challengerFailures = evidence.challenger.filter((s) => s === null).length;
  gates.push({
    gate: 'non_finite',
    status: challengerFailures <= championFailures ? 'pass' : 'fail',
    figure: `challenger failed on ${challengerFailures} records, champion on ${championFailures}`,
    values: { challenger: challengerFailures, champion: championFailures },
  });

  const both: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const a = evidence.champion[i];
    const b = evidence.challenger[i];
    if (a !== null && a !== undefined && b !== null && b !== undefined) both.push([a, b]);
  }
  const championAlerts = rate(both.filter(([a]) => a >= policy.alertAt).length, both.length);
  const challengerAlerts = rate(both.filter(([, b]) => b >= policy.alertAt).length, both.length);
  const alertRates = judgeAlertRates(pairedAlerts(both, policy.alertAt), policy.maxAlertRateDelta);
  gates.push({
    gate: 'alert_rate',
    status: alertRates.status,
    figure: `alert rate ${fixed(challengerAlerts)} vs ${fixed(championAlerts)} (delta ${fixed(alertRates.delta)}, bound ${boundText(policy, 'maxAlertRateDelta', '±')}, ±${fixed(alertRates.sampling, 4)} sampling, ${both.length} records)`,
    values: {
      challenger: challengerAlerts,
      champion: championAlerts,
      delta: alertRates.delta,
      sampling: Number.isNaN(alertRates.sampling) ? null : alertRates.sampling,
    },
  });

  const psi = scorePsi(
    both.map(([a]) => a),
    both.map(([, b]) => b),
  );
  gates.push({
    gate: 'score_psi',
    status: Number.isNaN(psi) ? 'hold' : psi < policy.maxScorePsi ? 'pass' : 'fail',
    figure: `score PSI ${fixed(psi)} against the champion (bound ${boundText(policy, 'maxScorePsi')})`,
    values: { psi: Number.isNaN(psi) ? null : psi, bound: policy.maxScorePsi },
  });

  const labelled = evidence.labelled.filter(
    (l) => evidence.champion[l.index] != null && evidence.challenger[l.index] != null,
  );
  const frauds = labelled.filter((l) => l.fraud).length;
  if (labelled.length < policy.minLabelled || frauds === 0 || frauds === labelled.length) {
    gates.push({
      gate: 'auc',
      status: 'hold',
      figure: `${labelled.length} matured labels, ${frauds} frauds (need ${policy.minLabelled} with both classes)`,
      values: { labelled: labelled.length, frauds },
    });
  } else {
    const auc = pairedAuc(
      labelled.map((l) => evidence.champion[l.index] as number),
      labelled.map((l) => evidence.challenger[l.index] as number),
      labelled.map((l) => l.fraud),
    );
    const judged = judgeAucShortfall(auc, policy.aucMargin);
    gates.push({
      gate: 'auc',
      status: judged.status,
      figure: `AUC ${fixed(auc.challengerAuc)} vs champion ${fixed(auc.championAuc)} (margin ${boundText(policy, 'aucMargin')}, ±${fixed(judged.sampling, 3)} sampling, ${labelled.length} labelled, ${frauds} frauds)`,
      values: {
        challenger: auc.challengerAuc,
        champion: auc.championAuc,
        margin: policy.aucMargin,
        sampling: Number.isNaN(judged.sampling) ? null : judged.sampling,
      },
    });
  }
  return verdict(gates);
}

function verdict(gates: GateResult[]): GateVerdict {
  const failed = gates.find((g) => g.status === 'fail') ?? null;
  const status: GateStatus = failed ? 'fail' : gates.some((g) => g.status === 'hold') ? 'hold' : 'pass';
  return { status, gates, failed };
}
