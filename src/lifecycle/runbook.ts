import type { Topology } from '../config/index.js';
import { alertPlaybooks, type AlertPlaybook } from './alert-playbooks.js';
import {
  controlTopicName,
  effectiveGateBounds,
  type GateBound,
  type RolloutGateBounds,
} from '../core/control/index.js';

export interface DrillRecord {
  readonly at: string;
  readonly ok: boolean;
  readonly fullEffectMs: number;
  readonly events: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly workers: readonly { readonly instance: string; readonly applyMs: number }[];
}

export interface RunbookInput {
  readonly topology: Topology;
  readonly topologyFile: string;
  /** The serving champion, its card's rollback target, and what the kill switch would serve now. */
  readonly champion: string;
  readonly cardRollbackTarget: string | null;
  readonly killTarget: string | { readonly problem: string };
  readonly challenger: string | null;
  /** The bounds the live rollout set for itself (`rollout start --max-score-psi` …); absent: none, or no rollout. */
  readonly rolloutGates?: RolloutGateBounds;
  readonly lastDrill: DrillRecord | null;
  readonly generatedAt: string;
}

/**
 * The on-call runbook (rollback, rollout, the batch window, a playbook per alert), generated from the topology, the
 * registry and the last drill: Markdown for people.
 */
export function renderRunbook(input: RunbookInput): string {
  const { topology: t, topologyFile: file } = input;
  const target = typeof input.killTarget === 'string' ? input.killTarget : `NONE: ${input.killTarget.problem}`;
  const drill = input.lastDrill;
  const bounds = effectiveGateBounds(t.rollout.gates, input.rolloutGates);
  // A bound the live rollout set says so, with the topology's beside it: the next rollout goes back to that one.
  const bound = (name: GateBound) =>
    bounds[name].from === 'rollout'
      ? `${bounds[name].value} (the live rollout's; the topology's is ${t.rollout.gates[name]})`
      : `${bounds[name].value} (the topology's)`;
  return [
    `# Runbook: ${t.name}`,
    '',
    `Generated ${input.generatedAt} from \`${file}\` and the model registry \`${t.model.registry}\`. Regenerate with`,
    `\`fraudscore docs runbook -t ${file}\` after any model or topology change.`,
    '',
    '## Who',
    '',
    `- Model owner: **${t.rollout.owner}**`,
    `- May flip the kill switch and abort a rollout: **${t.rollout.rollbackAuthority.join('**, **')}** (the topology's ` +
      '`rollout.rollbackAuthority`). This is a documented list, not an access control: fraudscore does not check it.',
    `- Whoever can write to the control topic \`${controlTopicName(t.name)}\` can make any change, under any actor. ` +
      'Every change records who made it (`--actor`, or `$FRAUDSCORE_ACTOR`, or user@host) and why (`--reason`), ' +
      'as the command was told: the actor is not verified.',
    '- Only Kafka restricts the writers: an authorizer with ACLs granting Write on that topic to the principals of those listed and to ' +
      'the rollout controller (`rollout run`, which writes promotions and automatic rollbacks). SASL credentials alone ' +
      'let any authenticated user write.',
    '',
    '## What serves now',
    '',
    `- Champion: \`${input.champion}\` (its card names rollback target \`${input.cardRollbackTarget ?? 'none'}\`)`,
    `- Challenger: ${input.challenger ? `\`${input.challenger}\`` : 'none'}`,
    `- The kill switch would serve: \`${target}\``,
    '',
    '## Stop a bad model now',
    '',
    '```sh',
    `fraudscore kill-switch on -t ${file} --reason "<what you saw>" --actor <you> --wait`,
    `fraudscore control status -t ${file}     # every worker's applied version and how long it took`,
    '```',
    '',
    '`--wait` returns once every reporting worker serves the rollback target (each printed as it switches, with how',
    'long it took), or exits 1 after 60 s naming the workers still behind or refusing, and why: a refusal (a model that',
    'cannot be loaded) leaves that worker serving as before. Every change command takes `--wait [seconds]`.',
    '',
    'Expected time to effect: every worker switches at its next batch boundary, at most one batch window',
    `(${t.batch.maxWaitMs} ms in the topology file) plus the batch in flight; the goal is under 60 s, the drill measures it (below).`,
    'Scores made during the kill carry the reason code `KILL_SWITCH_FALLBACK` and `route=kill_switch`.',
    '',
    '```sh',
    `fraudscore kill-switch off -t ${file} --reason "<why it is safe again>"   # back to the state before the kill`,
    '```',
    '',
    '## During a rollout',
    '',
    '```sh',
    `fraudscore rollout status -t ${file}     # stage, workers, gates judged now`,
    `fraudscore rollout abort -t ${file} --reason "<why>"    # challenger to 0 % at once`,
    `fraudscore rollout pause -t ${file} --reason "<why>"    # hold the stage`,
    '```',
    '',
    `Gates (each stage, at least ${t.rollout.gates.minRecords} records and ${Math.round(t.rollout.stepMs / 60_000)} min): challenger batch p99 within ` +
      `${t.serving.batchP99Ms} ms, no more failed scores than the champion, alert-rate delta within ±${bound('maxAlertRateDelta')} (beyond it within sampling error: the stage holds), ` +
      `score PSI under ${bound('maxScorePsi')} (the champion's deciles as bins), AUC within ${bound('aucMargin')} of the champion's once ` +
      `${t.rollout.gates.minLabelled} labels of both classes have matured (beyond it within sampling error: the stage holds). A failed gate rolls back automatically (\`fraudscore control history -t ${file}\` shows the gate and its figures).`,
    '',
    "The bounds are the topology's `rollout.gates` unless a rollout sets its own when it starts, for itself only: " +
      "`--max-score-psi` (a deliberate recalibration: the same decisions, scores unlike the champion's), " +
      `\`--max-alert-rate-delta\`, \`--auc-margin\`. \`fraudscore rollout status -t ${file}\` shows each bound in force and where it comes from.`,
    '',
    '## Tune the batch window live',
    '',
    '```sh',
    `fraudscore control set -t ${file} batch.maxRecords=500 batch.maxWaitMs=5000   # 100..1000 records, at most 30000 ms; =default restores the file's`,
    `fraudscore control set -t ${file} batch.minRecords=1000   # a live stream's batches close by size or time only (fewest transactions); 1..1000`,
    '```',
    '',
    '## When an alert fires',
    '',
    'One section per alert of `deploy/prometheus/fraudscore-rules.yml`: what is at stake, what to run, where to look, ' +
      'what to do.',
    '',
    ...alertPlaybooks(t, file).flatMap(renderPlaybook),
    '## Last rollback drill',
    '',
    drill
      ? `${drill.at}: ${drill.ok ? 'PASSED' : 'FAILED'}; ${drill.events} events, full effect ${(drill.fullEffectMs / 1000).toFixed(3)} s ` +
        `(${drill.workers.map((w) => `${w.instance} ${(w.applyMs / 1000).toFixed(3)} s`).join(', ')}), lost ${drill.lost}, duplicated ${drill.duplicated}.`
      : 'No drill recorded: run `node dist/load-tests/rollback-drill.js` against the stack (it writes docs/drills/rollback-drill.json).',
    '',
  ].join('\n');
}

function renderPlaybook(playbook: AlertPlaybook): string[] {
  return [
    `### ${playbook.alerts.join(', ')}`,
    '',
    playbook.means,
    '',
    ...(playbook.commands.length > 0 ? ['```sh', ...playbook.commands, '```', ''] : []),
    `Look: ${playbook.look}`,
    '',
    `Act: ${playbook.act}`,
    '',
  ];
}
