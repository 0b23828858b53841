import type { DrillReport, FaultRecord } from './run.js';

const seconds = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);

function survived(report: DrillReport, ...kinds: FaultRecord['kind'][]): string {
  const of = report.faults.filter((fault) => kinds.includes(fault.kind));
  const recovered = of.filter((fault) => fault.caughtUpMs !== undefined);
  const times = recovered.map((fault) => fault.caughtUpMs as number).sort((a, b) => a - b);
  const lasted = of.map((fault) => fault.faultMs).sort((a, b) => a - b);
  const exits = of.reduce((sum, fault) => sum + fault.workerExits, 0);
  const retries = of.reduce((sum, fault) => sum + fault.retries, 0);
  if (of.length === 0) return 'not run';
  return (
    `${recovered.length} of ${of.length} survived; fault ${seconds(lasted[0])}..${seconds(lasted.at(-1))}, ` +
    `then caught up in ${seconds(times[0])}..${seconds(times.at(-1))}` +
    `; worker exits ${exits}; batch retries ${retries}`
  );
}

/** The drill's summary, as load-tests/drill.ts prints it and the fault tests attach it to a failure. */
export function formatReport(report: DrillReport): string {
  const o = report.outcome;
  const lines = [
    '',
    `scenarios          ${report.scenarios.join(',')} (seed ${report.seed}, ${report.topology})`,
    `duration           ${seconds(report.durationMs)}`,
    `kills survived     ${survived(report, 'kill')}`,
    `  where they hit   ${
      Object.entries(report.killPhases)
        .map(([phase, n]) => `${phase} ${n}`)
        .join(', ') || '-'
    }`,
    `broker restarts    ${survived(report, 'broker restart')}`,
    `redis faults       ${survived(report, 'redis down', 'redis restart')}`,
    `registry faults    ${survived(report, 'registry outage', 'registry reset')}`,
    `rebalances         ${survived(report, 'worker added', 'rebalance kill')}`,
    `zombie pauses      ${survived(report, 'pause')}`,
    `starved give-backs ${survived(report, 'starved give-back')}`,
    `worker starts      ${report.workerStarts}; exits nobody asked for ${report.unexpectedExits.length}; clean stop ${JSON.stringify(report.stopCodes)}`,
    `batch retries      ${
      Object.entries(report.retriesByStage)
        .map(([stage, n]) => `${stage} ${n}`)
        .join(', ') || 'none'
    } (longest back-off ${report.maxRetryDelayMs} ms)`,
  ];
  if (o) {
    lines.push(
      `records in         ${o.inputs} (${o.invalidInputs} invalid on purpose; producer sends retried ${report.producerSendRetries})`,
      `outcomes out       ${o.outcomes} (${o.scores} scores, ${o.deadLetters} dead letters ${JSON.stringify(o.deadLetterReasons)})`,
      `lost               ${o.lost}`,
      `duplicated         ${o.duplicated}`,
      `unexpected         ${o.unexpected}`,
      `per worker         ${JSON.stringify(o.perWorker)}`,
      `features           ${o.features.differing} of ${o.features.compared} scores differ from an uninterrupted run` +
        (o.features.examples.length > 0 ? ` (e.g. ${o.features.examples[0]})` : ''),
    );
  }
  lines.push('', 'faults:');
  report.faults.forEach((fault, i) =>
    lines.push(
      `  ${String(i + 1).padStart(2)}. ${fault.kind} (${seconds(fault.faultMs)}): ${fault.detail}; ` +
        `caught up ${seconds(fault.caughtUpMs)} after it`,
    ),
  );
  for (const exit of report.unexpectedExits) {
    lines.push(
      `  worker ${exit.instanceId} exited (code ${exit.code}, signal ${exit.signal}):`,
      `    ${exit.tail.replace(/\n/g, '\n    ')}`,
    );
  }
  lines.push('', 'checks:');
  for (const check of report.checks) lines.push(`  ${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`);
  if (report.error) lines.push('', `error: ${report.error}`);
  lines.push('', report.ok ? 'DRILL PASSED: lost 0, duplicated 0' : 'DRILL FAILED', '');
  return lines.join('\n');
}
