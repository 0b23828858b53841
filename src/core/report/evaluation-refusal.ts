import { dayEvaluatedAtMs, LABEL_DELIVERY_GRACE_MS } from '../monitoring/evaluation.js';
import { dayLabel, type EvaluationReportInput } from './evaluation-report.js';

/** What `fraudscore report evaluation` read before judging the days, for saying why it has nothing to report. */
export interface EvaluationReading {
  readonly topics: { readonly output: string; readonly labels: string };
  readonly scoresRead: number;
  readonly labelsRead: number;
  /** Stream time once both topics were read to their end: the latest event or report time read. */
  readonly streamTimeMs: number;
  /** The topology file the command was given, for the command line it suggests. */
  readonly topologyFile: string;
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/**
 * Why an evaluation report must not be written (null when it may): with no scoring day final, its tables and plots
 * would be empty and say nothing, so the command says what it read and what to wait for, exits non-zero and leaves
 * the files of an earlier report as they were. A day is final on the topics' stream time (evaluation.ts), so
 * reading again later, once later scores or labels are in, is the only remedy: there is no window to widen.
 */
export function evaluationReportRefusal(
  input: Pick<EvaluationReportInput, 'matured' | 'openDays' | 'horizonDays'>,
  reading: EvaluationReading,
): string | null {
  if (input.matured.length > 0) return null;
  const { output, labels } = reading.topics;
  const read =
    `${count(reading.scoresRead, 'score record')} read from ${output} and ` +
    `${count(reading.labelsRead, 'label')} from ${labels} (each read to its end)`;
  const first = input.openDays[0];
  const last = input.openDays[input.openDays.length - 1];
  if (first === undefined || last === undefined) {
    return (
      `no scoring day to evaluate: ${read}; run the worker (fraudscore run -t ${reading.topologyFile}) so that ` +
      `scores reach ${output}, and let their labels reach ${labels}. No report written`
    );
  }
  const days = first === last ? dayLabel(first) : `${dayLabel(first)}..${dayLabel(last)}`;
  const latest = Number.isFinite(reading.streamTimeMs) ? new Date(reading.streamTimeMs).toISOString() : 'none';
  return (
    `no scoring day is final yet: ${read}, on ${count(input.openDays.length, 'scoring day')} (${days}) ` +
    `waiting for labels. A day is final once a score or label time ${input.horizonDays} days past its end ` +
    `(monitoring.evaluation.horizonDays), plus ${LABEL_DELIVERY_GRACE_MS / 3_600_000} h for reports delivered ` +
    `late, is read: the first, ${dayLabel(first)}, at ` +
    `${new Date(dayEvaluatedAtMs(first, input.horizonDays)).toISOString()}; the latest time read is ${latest}. ` +
    'Run this again once later scores and labels are in (fraudscore evaluate --report-dir <dir> rewrites the ' +
    'report as days become final). No report written'
  );
}
