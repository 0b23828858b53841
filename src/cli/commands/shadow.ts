import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { parseDuration } from '../../core/control/index.js';
import { openFsRegistry } from '../../adapters/model-registry/index.js';
import {
  buildShadowReport,
  formatChecklist,
  shadowReportRefusal,
  type ShadowBounds,
} from '../../core/report/shadow-report.js';
import type { Topology } from '../../config/index.js';
import { renderShadowHtml, renderShadowMarkdown } from '../../core/report/shadow-render.js';
import { openControl } from '../../lifecycle/connect.js';
import { registeredRef } from '../../lifecycle/registered-ref.js';
import { labelClock, readScoreStreams } from '../../lifecycle/score-reader.js';
import { changeOptions, runChange, type ChangeOptions } from './control.js';
import { parseIsoTime } from '../../backfill/iso-time.js';
import { bareNumber, BOUND_HELP, boundFlag, decimal, duration, DURATION_UNIT_NEEDED, gateBound } from '../arguments.js';
import { makeDirectories } from '../../adapters/files/make-directories.js';

interface ReportOptions {
  readonly topology: string;
  readonly since?: string;
  readonly challenger?: string;
  readonly champion?: string;
  readonly out: string;
  readonly minDuration: number;
  readonly minAgreement: number;
  readonly maxAlertRateDelta?: number;
  readonly aucMargin?: number;
}

/** The bounds the checklist judges with a rollout's own bounds (`rollout start --max-alert-rate-delta` …). */
const CHECKLIST_ROLLOUT_BOUNDS = ['maxAlertRateDelta', 'aucMargin'] as const;

/**
 * The checklist's bounds: the topology's serving SLO and rollout gates, the operator's duration and agreement, and
 * the alert-rate and AUC bounds given on the command line in place of the topology's: the ones the rollout will be
 * started with, so that the checklist and the rollout's gates judge alike.
 */
export function shadowBounds(topology: Topology, options: Omit<ReportOptions, 'topology' | 'out'>): ShadowBounds {
  const { gates } = topology.rollout;
  return {
    minDurationMs: options.minDuration,
    minRecords: gates.minRecords,
    minAgreement: options.minAgreement,
    latencyP99Ms: topology.serving.batchP99Ms,
    maxAlertRateDelta: options.maxAlertRateDelta ?? gates.maxAlertRateDelta,
    aucMargin: options.aucMargin ?? gates.aucMargin,
    minLabelled: gates.minLabelled,
    alertAt: topology.decision.reviewAt,
    blockAt: topology.decision.blockAt,
  };
}

export function registerShadowCommand(program: Command): Command {
  const shadow = program
    .command('shadow')
    .description(
      'Shadow a challenger: every record is scored by the champion (which decides) and the challenger (logged in ' +
        'shadow_scores), in the same batch and transaction.',
    );
  changeOptions(
    shadow
      .command('start')
      .description('Start shadowing <name>@<version> (verified against the registry first).')
      .argument('<model>', 'name@version, e.g. card-fraud@2'),
    false,
  ).action((model: string, options: ChangeOptions) =>
    runChange(options, ({ ops }) => ops.shadowStart(model, options.reason)),
  );
  changeOptions(shadow.command('stop').description('Stop the shadow.'), false).action((options: ChangeOptions) =>
    runChange(options, ({ ops }) => ops.shadowStop(options.reason)),
  );
  const report = shadow
    .command('report')
    .description(
      'Compare champion and challenger on the records both scored (output topic; labels topic where matured): ' +
        'writes shadow-report.md and shadow-report.html (plots) and prints the shadow checklist with sign-off lines.',
    )
    .requiredOption('-t, --topology <file>', 'topology YAML file')
    .option('--since <time>', 'only records scored since (ISO time, or a duration back from now such as 24h)')
    .option('--challenger <model>', 'name@version (default: the live challenger)')
    .option('--champion <model>', 'name@version (default: the serving champion)')
    .option('--out <dir>', 'where the report files go', 'reports')
    .addOption(
      new Option('--min-duration <duration>', 'checklist: minimum shadow duration')
        .argParser(duration)
        .default(24 * 3_600_000, '24h'),
    )
    .option(
      '--min-agreement <share>',
      'checklist: minimum share of agreeing decisions (0 to 1)',
      decimal({ max: 1 }),
      0.95,
    );
  for (const bound of CHECKLIST_ROLLOUT_BOUNDS) {
    report.option(
      boundFlag(bound),
      `checklist: ${BOUND_HELP[bound]} (default: the topology's rollout.gates.${bound}; give the rollout's own, ` +
        'if it will be started with one)',
      gateBound(bound),
    );
  }
  report.action(async (options: ReportOptions) => {
    // Before any connection: a --since that is no time is refused at once.
    const sinceMs = options.since ? sinceOf(options.since) : 0;
    const { topology, kafka, ops, log } = openControl(options.topology);
    // Models named on the command line are checked against the registry before any topic is read.
    const registry = openFsRegistry(topology.model.registry);
    const named = async (flag: string, text: string | undefined) =>
      text === undefined ? undefined : registeredRef(registry, flag, text);
    const namedChallenger = await named('--challenger', options.challenger);
    const namedChampion = await named('--champion', options.champion);
    const view = await ops.view();
    const champion = namedChampion ?? view.state.champion ?? (await ops.topologyChampion());
    const challenger = namedChallenger ?? view.state.challenger?.model;
    if (!challenger) throw new Error('no live challenger: name one with --challenger <name>@<version>');
    const streams = await readScoreStreams(topology, kafka, {
      retention: { scoredFromMs: sinceMs, rolloutOnly: false },
      log,
    });
    const report = buildShadowReport(
      streams.scores,
      streams.labels,
      { champion, challenger },
      shadowBounds(topology, options),
      labelClock(topology, streams, Date.now()),
      streams.firstUses,
    );
    const refusal = shadowReportRefusal(streams.scores, report, sinceMs);
    if (refusal) throw new Error(refusal);
    makeDirectories(options.out);
    const md = join(options.out, 'shadow-report.md');
    const html = join(options.out, 'shadow-report.html');
    writeFileSync(md, renderShadowMarkdown(report));
    writeFileSync(html, renderShadowHtml(report));
    for (const line of formatChecklist(report)) process.stdout.write(`${line}\n`);
    process.stdout.write(`\nwritten ${md} and ${html}\n`);
  });
  return shadow;
}

/** `--since`: a duration back from now (24h) or an ISO time; an impossible date is refused, never rolled over. */
export function sinceOf(text: string): number {
  if (bareNumber(text)) throw new Error(`--since: "${text}" has no unit; ${DURATION_UNIT_NEEDED}, or an ISO time`);
  const back = parseDuration(text);
  if (back !== null) return Date.now() - back;
  const time = parseIsoTime(text, { dateAlone: true });
  if (time === null)
    throw new Error(`--since: "${text}" is neither an ISO time with a zone nor a duration such as 24h`);
  if ('impossible' in time) throw new Error(`--since: "${text}" is not on the calendar: ${time.impossible}`);
  return time.ms;
}
