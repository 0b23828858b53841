/**
 * What a person wants to know after a run: how the batches went, what was dead-lettered, how scores are spread, and
 * how many frauds the decision caught. Pure accumulation; the demo feeds it and prints formatReport().
 */
export interface BatchObservation {
  readonly size: number;
  readonly closeReason: string;
  readonly latencyMs: number;
}

export interface LabelledScore {
  readonly score: number;
  readonly decision: 'APPROVE' | 'REVIEW' | 'BLOCK';
  /** Ground truth, when known. */
  readonly isFraud: boolean | undefined;
}

export interface RunReport {
  readonly batches: number;
  readonly meanBatchSize: number;
  readonly closeReasons: Readonly<Record<string, number>>;
  /** Nearest-rank (`quantile`), like every quantile of this report. */
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly scored: number;
  readonly deadLettered: number;
  readonly deadLetterReasons: Readonly<Record<string, number>>;
  readonly decisions: Readonly<Record<string, number>>;
  readonly scoreQuantiles: Readonly<Record<string, number>>;
  readonly labelled: number;
  readonly frauds: number;
  /** Frauds whose decision was REVIEW or BLOCK. */
  readonly fraudsFlagged: number;
  readonly fraudsBlocked: number;
  /** Genuine transactions flagged (REVIEW or BLOCK). */
  readonly falseAlerts: number;
  /** Share of flagged labelled records that are frauds; NaN with no flag (undefined, printed "n/a"). */
  readonly precisionOfFlags: number;
  /** Share of frauds flagged; NaN with no fraud (undefined, printed "n/a"). */
  readonly recallOfFlags: number;
  /** NaN without both a fraud and a genuine labelled record. */
  readonly rocAuc: number;
  readonly eventsPerSecond: number;
  readonly wallSeconds: number;
}

/**
 * Nearest-rank quantile of ascending values: the ceil(q * n)-th smallest (numpy's `method="inverted_cdf"`), always a
 * value that occurred. The demo summary's batch latency p50/p99 and score quantiles use it, and say so when printed;
 * the drift window's quantiles (fraudscore_score_quantile) use numpy's default linear interpolation instead
 * (core/monitoring/binning.ts quantileSorted), so the two can differ slightly on the same values.
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] as number;
}

/** ROC AUC by the rank-sum formula, ties counted half. */
export function rocAuc(scores: readonly number[], positives: readonly boolean[]): number {
  const order = scores
    .map((score, index) => ({ score, positive: positives[index] === true }))
    .sort((a, b) => a.score - b.score);
  let rankSum = 0;
  let positivesCount = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j < order.length && order[j]!.score === order[i]!.score) j++;
    const averageRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) {
      if (order[k]!.positive) {
        rankSum += averageRank;
        positivesCount++;
      }
    }
    i = j;
  }
  const negatives = order.length - positivesCount;
  if (positivesCount === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positivesCount * (positivesCount + 1)) / 2) / (positivesCount * negatives);
}

/** An undefined ratio stays undefined (NaN), never a 0 % that reads as a measured figure. */
const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : Number.NaN);

export function buildReport(input: {
  batches: readonly BatchObservation[];
  deadLetterReasons: Readonly<Record<string, number>>;
  scores: readonly LabelledScore[];
  wallSeconds: number;
  processedRecords: number;
}): RunReport {
  const closeReasons: Record<string, number> = {};
  for (const batch of input.batches) closeReasons[batch.closeReason] = (closeReasons[batch.closeReason] ?? 0) + 1;
  const latencies = input.batches.map((b) => b.latencyMs).sort((a, b) => a - b);
  const sortedScores = Float64Array.from(input.scores.map((s) => s.score)).sort();
  const decisions: Record<string, number> = { APPROVE: 0, REVIEW: 0, BLOCK: 0 };
  let labelled = 0;
  let frauds = 0;
  let fraudsFlagged = 0;
  let fraudsBlocked = 0;
  let falseAlerts = 0;
  const labelledScores: number[] = [];
  const labelledTruth: boolean[] = [];
  for (const s of input.scores) {
    decisions[s.decision] = (decisions[s.decision] ?? 0) + 1;
    if (s.isFraud === undefined) continue;
    labelled++;
    labelledScores.push(s.score);
    labelledTruth.push(s.isFraud);
    const flagged = s.decision !== 'APPROVE';
    if (s.isFraud) {
      frauds++;
      if (flagged) fraudsFlagged++;
      if (s.decision === 'BLOCK') fraudsBlocked++;
    } else if (flagged) falseAlerts++;
  }
  const deadLettered = Object.values(input.deadLetterReasons).reduce((a, b) => a + b, 0);
  return {
    batches: input.batches.length,
    meanBatchSize: input.batches.reduce((a, b) => a + b.size, 0) / Math.max(1, input.batches.length),
    closeReasons,
    latencyP50Ms: quantile(latencies, 0.5),
    latencyP99Ms: quantile(latencies, 0.99),
    scored: input.scores.length,
    deadLettered,
    deadLetterReasons: input.deadLetterReasons,
    decisions,
    scoreQuantiles: Object.fromEntries([0.5, 0.9, 0.99, 0.999].map((q) => [`p${q * 100}`, quantile(sortedScores, q)])),
    labelled,
    frauds,
    fraudsFlagged,
    fraudsBlocked,
    falseAlerts,
    precisionOfFlags: ratio(fraudsFlagged, fraudsFlagged + falseAlerts),
    recallOfFlags: ratio(fraudsFlagged, frauds),
    rocAuc: rocAuc(labelledScores, labelledTruth),
    eventsPerSecond: input.processedRecords / Math.max(1e-9, input.wallSeconds),
    wallSeconds: input.wallSeconds,
  };
}

/** As the evaluation report prints an undefined figure (evaluation-report.ts). */
const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');
const counts = (record: Readonly<Record<string, number>>) =>
  Object.entries(record)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || 'none';

export function formatReport(report: RunReport, header: string): string {
  return [
    '',
    `== ${header} ==`,
    `events in        ${report.scored + report.deadLettered} (${report.scored} scored, ${report.deadLettered} dead-lettered)`,
    `batches          ${report.batches}, mean size ${report.meanBatchSize.toFixed(0)}; closed by ${counts(report.closeReasons)}`,
    `batch latency    p50 ${report.latencyP50Ms.toFixed(1)} ms, p99 ${report.latencyP99Ms.toFixed(1)} ms (nearest-rank; closed -> committed)`,
    `dead letters     ${counts(report.deadLetterReasons)}`,
    `decisions        ${counts(report.decisions)}`,
    `score quantiles  ${Object.entries(report.scoreQuantiles)
      .map(([q, v]) => `${q} ${v.toFixed(4)}`)
      .join(', ')} (nearest-rank, all scores of the run)`,
    `ground truth     ${report.labelled} labelled, ${report.frauds} frauds (${pct(ratio(report.frauds, report.labelled))})`,
    `fraud caught     ${report.fraudsFlagged}/${report.frauds} flagged (${pct(report.recallOfFlags)} recall), ${report.fraudsBlocked} blocked; ${report.falseAlerts} false alerts (precision ${pct(report.precisionOfFlags)})`,
    `ROC AUC          ${Number.isFinite(report.rocAuc) ? report.rocAuc.toFixed(3) : 'n/a'} on the labelled scores`,
    `throughput       ${report.eventsPerSecond.toFixed(0)} records/s over ${report.wallSeconds.toFixed(1)} s`,
    '',
  ].join('\n');
}
