import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, parse as parseYaml, YAMLError } from 'yaml';
import { kindOf, typeIssueParams, YAML_WORDS } from '../core/validation/index.js';
import { resolvedPath } from './resolved-path.js';
import { interpolateEnv, MissingEnvironmentError } from './interpolate.js';
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
  const lines = new LineCounter();
  try {
    // Not yaml's pretty errors: they repeat the offending line, which may hold a secret.
    raw = parseYaml(text, { prettyErrors: false, lineCounter: lines });
  } catch (error) {
    throw new TopologyError(file, [yamlProblem(error as Error, lines)]);
  }
  if (raw === null || raw === undefined) throw new TopologyError(file, [`the file is empty; ${TOPOLOGY_SHAPE}`]);
  if (typeof raw !== 'object' || Array.isArray(raw) || raw instanceof Date) {
    throw new TopologyError(file, [`the file holds ${kindOf(raw, YAML_WORDS)}, not a mapping; ${TOPOLOGY_SHAPE}`]);
  }
  let interpolated: unknown;
  try {
    interpolated = interpolateEnv(raw, env);
  } catch (error) {
    throw new TopologyError(
      file,
      error instanceof MissingEnvironmentError ? error.problems : [(error as Error).message],
    );
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

/**
 * yaml messages that end by quoting the file (an alias, a tag, a block scalar's header, an escape sequence): the quote
 * is cut, like the excerpt, so that a secret written there is never printed.
 */
const QUOTES_SOURCE =
  /^(Unresolved alias \(the anchor must be set before the alias\)|Block scalar header includes extra characters|Unresolved tag|Not a valid tag|Could not resolve tag|Invalid escape sequence)[: ].*$/s;

/** A YAML syntax error: where it is and what is wrong, never the text of the line. */
function yamlProblem(error: Error, lines: LineCounter): string {
  const message = error.message.replace(QUOTES_SOURCE, '$1');
  const offset = error instanceof YAMLError ? error.pos[0] : -1;
  const where = offset >= 0 ? ((at) => ` at line ${at.line}, column ${at.col}`)(lines.linePos(offset)) : '';
  return `not valid YAML${where}: ${message} (the line is not repeated here: it may hold a secret)`;
}

/** Why a topology file could not be read, and the fix, in words rather than an errno code. */
function unreadableTopology(file: string, error: NodeJS.ErrnoException, cwd: string = process.cwd()): string {
  switch (error.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return `no such file: ${resolvedPath(file, cwd)}; pass the path of a topology YAML file (topologies/ holds the shipped ones)`;
    case 'EISDIR':
      return `a directory, not a file: ${resolve(cwd, file)}; pass the topology YAML file in it`;
    case 'EACCES':
    case 'EPERM':
      return `not readable by this user: ${resolve(cwd, file)}; check its permissions`;
    default:
      return `cannot read the file: ${error.code ?? error.message}`;
  }
}

export function loadTopology(file: string, env: Readonly<Record<string, string | undefined>> = process.env): Topology {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new TopologyError(file, [unreadableTopology(file, error as NodeJS.ErrnoException)]);
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
