import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { kindOf, typeIssueParams, YAML_WORDS } from '../core/validation/index.js';
import { interpolateEnv } from './interpolate.js';
import { describeIssue, TOPOLOGY_SHAPE } from './topology-issues.js';
import { topologySchema, type Topology } from './topology-schema.js';

export class TopologyError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid topology ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'TopologyError';
  }
}

/** Parses, interpolates and validates a topology; the result is deeply frozen. Throws TopologyError naming each bad field. */
export function parseTopology(text: string, file: string, env: Readonly<Record<string, string | undefined>>): Topology {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new TopologyError(file, [`not valid YAML: ${(error as Error).message}`]);
  }
  if (raw === null || raw === undefined) throw new TopologyError(file, [`the file is empty; ${TOPOLOGY_SHAPE}`]);
  if (typeof raw !== 'object' || Array.isArray(raw) || raw instanceof Date) {
    throw new TopologyError(file, [`the file holds ${kindOf(raw, YAML_WORDS)}, not a mapping; ${TOPOLOGY_SHAPE}`]);
  }
  let interpolated: unknown;
  try {
    interpolated = interpolateEnv(raw, env);
  } catch (error) {
    throw new TopologyError(file, [(error as Error).message]);
  }
  const result = topologySchema.safeParse(interpolated, typeIssueParams(YAML_WORDS));
  if (!result.success) {
    throw new TopologyError(
      file,
      result.error.issues.map((issue) => describeIssue(issue, raw, interpolated)),
    );
  }
  return deepFreeze(result.data);
}

export function loadTopology(file: string, env: Readonly<Record<string, string | undefined>> = process.env): Topology {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new TopologyError(file, [`cannot read the file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`]);
  }
  return parseTopology(text, file, env);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
