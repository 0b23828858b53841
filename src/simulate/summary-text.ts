import {
  DAY_MS,
  FRAUD_SCENARIOS,
  HOSTILE_KINDS,
  type SimulationOptions,
  type SimulationSummary,
} from '../core/simulate/index.js';

const count = (n: number): string => n.toLocaleString('en-US');
const percent = (part: number, whole: number): string =>
  whole === 0 ? '0.00 %' : `${((100 * part) / whole).toFixed(2)} %`;
const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());

/** The human summary printed after a run: what was generated, how much fraud of which kind, where it went. */
export function formatSummary(
  summary: SimulationSummary,
  options: SimulationOptions,
  output: readonly string[],
  elapsedMs: number,
): string {
  const s = summary;
  const lines = [
    `simulated ${count(s.transactions)} transactions: seed ${options.seed}, ${count(options.customers)} customers, ` +
      `${count(options.terminals)} terminals, ${options.days} days from ${iso(options.startMs)}`,
    `  event time   ${iso(s.firstEventMs)} .. ${iso(s.lastEventMs)}`,
    `  fraud        ${count(s.frauds)} (${percent(s.frauds, s.transactions)})`,
    ...FRAUD_SCENARIOS.map((scenario) => {
      const n = s.fraudsByScenario[scenario as keyof typeof s.fraudsByScenario];
      return `    ${scenario.padEnd(22)} ${count(n).padStart(9)} (${percent(n, s.transactions)})`;
    }),
    `  labels       ${count(s.labels)} (${count(s.fraudLabels)} fraud, ${count(s.labels - s.fraudLabels)} genuine), ` +
      `delay ${(options.labelDelayMinMs / 3_600_000).toFixed(1)} h .. ${(options.labelDelayMaxMs / DAY_MS).toFixed(1)} d, ` +
      `last reported ${iso(s.lastLabelMs)}`,
  ];
  if (s.hostile > 0) {
    const kinds = HOSTILE_KINDS.filter((k) => s.hostileByKind[k] > 0).map((k) => `${k} ${s.hostileByKind[k]}`);
    lines.push(`  hostile      ${count(s.hostile)} extra records, ids bad-*: ${kinds.join(', ')}`);
  }
  lines.push(`  output       ${output.join(', ')}`);
  const rate = (n: number): string => count(elapsedMs > 0 ? Math.round((n * 1000) / elapsedMs) : 0);
  const records = s.transactions + s.labels + s.hostile;
  lines.push(
    `  took         ${(elapsedMs / 1000).toFixed(1)} s (${rate(s.transactions)} transactions/s, ${rate(records)} records/s)`,
  );
  return `${lines.join('\n')}\n`;
}
