import { writeFileSync } from 'node:fs';
import { loadTopology } from '../../src/config/index.js';
import { buildDashboard } from './dashboard.js';

export const DASHBOARD_FILE = 'deploy/grafana/fraudscore.json';
export const TOPOLOGY_FILE = 'topologies/card-payments.yaml';

/** The dashboard JSON for the shipped topology's contract, exactly as committed. */
export function dashboardJson(): string {
  const { contract, monitoring } = loadTopology(TOPOLOGY_FILE, {});
  if (!contract) throw new Error(`${TOPOLOGY_FILE}: no contract section; the dashboard draws its SLO lines from it`);
  return `${JSON.stringify(buildDashboard(contract, monitoring.evaluation), null, 2)}\n`;
}

// Run as a script (from the repository root): node dist/deploy/grafana/generate.js
if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(DASHBOARD_FILE, dashboardJson());
  process.stdout.write(`wrote ${DASHBOARD_FILE}\n`);
}
