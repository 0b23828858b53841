import { isSilent, STATUS_SILENT_AFTER_MS } from '../adapters/redis/worker-status.js';
import type { Topology } from '../config/index.js';
import { boundOriginText, effectiveGateBounds, type ChallengerState, type ControlView } from '../core/control/index.js';

export interface WorkerReport {
  readonly instance: string;
  readonly status: Record<string, unknown> & { readonly reportedAtMs: number };
}

const iso = (ms: unknown) => (typeof ms === 'number' ? new Date(ms).toISOString() : '-');
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** `fraudscore control status` for people: the control state, then each worker and how long it took to apply it. */
export function formatControlStatus(
  topology: Topology,
  view: ControlView,
  champion: string,
  workers: readonly WorkerReport[],
  nowMs: number,
): string[] {
  const { state, record } = view;
  const lines: string[] = [];
  lines.push(
    record
      ? `${topology.name}: control version ${view.version}, last change ${record.change.kind} by ${record.actor} at ${iso(record.atMs)} ("${record.reason}")`
      : `${topology.name}: no control record yet; the topology file decides (version 0)`,
  );
  lines.push(`  champion     ${champion}${state.champion ? '' : ' (topology file)'}`);
  const c = state.challenger;
  if (c) {
    const stage =
      c.mode === 'shadow'
        ? 'shadow (scores every record, decides none)'
        : `rollout ${c.percent} % (stage ${c.stageIndex + 1}/${c.plan.length} of ${c.plan.join(',')}, step ${Math.round(c.stepMs / 60_000)} min)`;
    lines.push(`  challenger   ${c.model}: ${stage}${c.paused ? ' PAUSED' : ''}, since ${iso(c.stageStartedAtMs)}`);
    if (c.mode === 'rollout') lines.push(`  gate bounds  ${gateBoundsLine(topology, c)}`);
  } else lines.push('  challenger   none');
  lines.push(
    state.killSwitch.on
      ? `  kill switch  ON since ${iso(state.killSwitch.sinceMs)}: serving ${state.killSwitch.target} ("${state.killSwitch.reason}")`
      : '  kill switch  off',
  );
  const b = state.batch;
  lines.push(
    `  batch window maxRecords ${b.maxRecords ?? `${topology.batch.maxRecords} (topology)`}, maxWaitMs ${b.maxWaitMs ?? `${topology.batch.maxWaitMs} (topology)`}, minRecords ${b.minRecords ?? `${topology.batch.minRecords} (topology)`}`,
  );
  if (workers.length === 0) {
    lines.push('  workers      none reported');
    return lines;
  }
  lines.push('  workers');
  let slowest = 0;
  let behind = 0;
  let silent = 0;
  for (const { instance, status } of workers) {
    const applied = Number(status['appliedVersion'] ?? 0);
    const appliedAt = status['appliedAtMs'];
    const recordAt = status['recordAtMs'];
    const sinceReportMs = nowMs - status.reportedAtMs;
    // A worker rewrites its report every STATUS_REFRESH_MS and withdraws it when it stops: one silent this long crashed
    // or cannot reach Redis, and what it last said is no evidence of what serves now.
    if (isSilent(status, nowMs)) {
      silent++;
      lines.push(
        `    ${instance.padEnd(16)} SILENT: no report for ${seconds(sinceReportMs)} (crashed, or cannot reach Redis); ` +
          `last said applied v${applied}, deciding ${String(status['decider'])}`,
      );
      continue;
    }
    const lag =
      typeof appliedAt === 'number' && typeof recordAt === 'number' && applied > 0 ? appliedAt - recordAt : null;
    if (applied === view.version && lag !== null) slowest = Math.max(slowest, lag);
    if (applied < view.version) behind++;
    const rejected = status['rejected'] as { version: number; reason: string } | null | undefined;
    lines.push(
      `    ${instance.padEnd(16)} applied v${applied}${applied < view.version ? ' (BEHIND)' : ''}` +
        `${lag !== null ? `, took ${seconds(lag)}` : ''}, deciding ${String(status['decider'])}` +
        `${status['killed'] ? ' (kill switch)' : ''}${status['challenger'] ? `, challenger ${String(status['challenger'])} at ${String(status['percent'])} %` : ''}` +
        `, reported ${seconds(sinceReportMs)} ago` +
        `${rejected ? `; REFUSED v${rejected.version}: ${rejected.reason}` : ''}`,
    );
  }
  const reporting = workers.length - silent;
  const silentNote = silent > 0 ? `; ${silent} silent worker(s) not counted` : '';
  lines.push(
    reporting === 0
      ? `  no worker has reported in the last ${seconds(STATUS_SILENT_AFTER_MS)}`
      : behind === 0
        ? `  every reporting worker applies version ${view.version}; the slowest took ${seconds(slowest)}${silentNote}`
        : `  ${behind} worker(s) behind version ${view.version}${silentNote}`,
  );
  return lines;
}

/** The bounds a rollout's gates are judged by, each with where it comes from (the topology or the rollout itself). */
export function gateBoundsLine(topology: Topology, challenger: ChallengerState): string {
  const b = effectiveGateBounds(topology.rollout.gates, challenger.gates);
  return [
    `score PSI under ${b.maxScorePsi.value} ${boundOriginText(b.maxScorePsi.from)}`,
    `alert-rate delta within ±${b.maxAlertRateDelta.value} ${boundOriginText(b.maxAlertRateDelta.from)}`,
    `AUC margin ${b.aucMargin.value} ${boundOriginText(b.aucMargin.from)}`,
  ].join(', ');
}
