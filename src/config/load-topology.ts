import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { interpolateEnv } from './interpolate.js';
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

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.') || '(root)';
  if (issue.code === 'unrecognized_keys') {
    return `${path}: unknown field(s) ${issue.keys.join(', ')}; remove them or check the spelling (see \`fraudscore topology schema\`)`;
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return `${path}: required field is missing; add it (expected ${issue.expected})`;
  }
  return `${path}: ${issue.message}`;
}

/** Parses, interpolates and validates a topology; the result is deeply frozen. Throws TopologyError naming each bad field. */
export function parseTopology(text: string, file: string, env: Readonly<Record<string, string | undefined>>): Topology {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new TopologyError(file, [`not valid YAML: ${(error as Error).message}`]);
  }
  let interpolated: unknown;
  try {
    interpolated = interpolateEnv(raw, env);
  } catch (error) {
    throw new TopologyError(file, [(error as Error).message]);
  }
  const result = topologySchema.safeParse(interpolated);
  if (!result.success) throw new TopologyError(file, result.error.issues.map(describeIssue));
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
