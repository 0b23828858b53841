import { routesToChallenger, type Route } from '../core/control/index.js';
import { ScoreReasonCode } from '../core/contract/reasons.js';
import type { ServingModel } from './serving-model.js';
import type { ActiveServing } from './serving.js';
import { TimedOut, withTimeout } from './timeout.js';

export interface RoutedRecord {
  /** The raw output of the model that decides (decide() turns an unusable one into the fallback). */
  readonly raw: number;
  readonly model: ServingModel;
  readonly route: Route;
  readonly reasonCodes: readonly string[];
  /** The other model's usable score, by `name@version`. */
  readonly shadowScores: Record<string, number>;
}

export interface RoutedBatch {
  readonly records: readonly RoutedRecord[];
  /** Each model's run over the whole batch, by `name@version`. */
  readonly latencyMs: Record<string, number>;
  /** Challenger failures by `<version>|<reason>`. */
  readonly failures: Record<string, number>;
}

type ChallengerFailure = 'error' | 'timeout' | 'non_finite';

function usable(score: number | undefined): score is number {
  return score !== undefined && Number.isFinite(score) && score >= 0 && score <= 1;
}

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await run();
  return [value, performance.now() - started];
}

/**
 * Scores one batch's feature matrix with the plan's models: the decider always, the challenger (if any) on every
 * record too, so both scores exist for every record and the models stay comparable. In a rollout the customers the
 * routing hash sends to the challenger are decided by it; the rest, and every record whose challenger score failed,
 * by the champion. The challenger's error, timeout or unusable output never touches the champion's decision: it is
 * counted and flagged (CHALLENGER_FAILED:<why>). During a kill, only the kill switch's target scores.
 */
export async function scoreWithPlan(
  serving: ActiveServing,
  matrix: Float32Array,
  rows: number,
  options: { readonly customerIds: readonly string[]; readonly timeoutMs: number },
): Promise<RoutedBatch> {
  const { plan } = serving;
  const decider = serving.model(plan.decider);
  const latencyMs: Record<string, number> = {};
  const failures: Record<string, number> = {};
  const [deciderRaw, deciderMs] = await timed(() => decider.scorer.score(matrix, rows));
  latencyMs[plan.decider] = deciderMs;

  const challengerPlan = plan.challenger;
  if (!challengerPlan) {
    const route: Route = plan.killed ? 'kill_switch' : 'champion';
    const reasonCodes = plan.killed ? [ScoreReasonCode.KillSwitchFallback] : [];
    const records = Array.from({ length: rows }, (_, i) => ({
      raw: deciderRaw[i] ?? Number.NaN,
      model: decider,
      route,
      reasonCodes,
      shadowScores: {},
    }));
    return { records, latencyMs, failures };
  }

  const challenger = serving.model(challengerPlan.model);
  let challengerRaw: Float32Array | undefined;
  let batchFailure: ChallengerFailure | undefined;
  const started = performance.now();
  try {
    challengerRaw = await withTimeout(challenger.scorer.score(matrix, rows), options.timeoutMs);
  } catch (error) {
    batchFailure = error instanceof TimedOut ? 'timeout' : 'error';
  }
  latencyMs[challengerPlan.model] = performance.now() - started;

  const records: RoutedRecord[] = [];
  for (let i = 0; i < rows; i++) {
    const championScore = deciderRaw[i];
    const challengerScore = challengerRaw?.[i];
    const failure: ChallengerFailure | undefined = batchFailure ?? (usable(challengerScore) ? undefined : 'non_finite');
    const reasonCodes: string[] = [];
    if (failure) {
      reasonCodes.push(`${ScoreReasonCode.ChallengerFailed}:${failure}`);
      const key = `${challenger.version}|${failure}`;
      failures[key] = (failures[key] ?? 0) + 1;
    }
    const toChallenger =
      challengerPlan.mode === 'rollout' &&
      routesToChallenger(challengerPlan.salt, options.customerIds[i] ?? '', challengerPlan.percent);
    if (toChallenger && !failure) {
      records.push({
        raw: challengerScore as number,
        model: challenger,
        route: 'challenger',
        reasonCodes,
        shadowScores: usable(championScore) ? { [plan.decider]: championScore } : {},
      });
    } else {
      records.push({
        raw: championScore ?? Number.NaN,
        model: decider,
        route: 'champion',
        reasonCodes,
        shadowScores: failure ? {} : { [challengerPlan.model]: challengerScore as number },
      });
    }
  }
  return { records, latencyMs, failures };
}
