import { registryConnection, type Topology } from '../config/index.js';
import { createLogger, type Logger } from '../adapters/observability/logger.js';
import type { AvroSerde } from '../adapters/registry/serde.js';
import { readContractSchema, type ContractSchemaName } from '../adapters/registry/contract-schemas.js';
import { ensureSubjects, unreadableVersionsOf, type SubjectSpec } from '../adapters/registry/subjects.js';
import { NEEDED_COMPATIBILITY } from '../core/contract/compatibility.js';
import { SchemaVersionWatch, type ReadSubject } from './schema-version-watch.js';

/**
 * Makes every subject of the topology (topic-name strategy) fit for the pipeline: accepted at a level at least as strict
 * as the one it needs (NEEDED_COMPATIBILITY: FORWARD_TRANSITIVE for input and labels, which the worker reads with the
 * contract as the reader schema; FULL_TRANSITIVE for output and dead letters, which it writes), raised when the
 * topology lets it manage the subject, refused otherwise (subjects.ts); returns the output schema ids.
 */
export async function registerContractSchemas(
  serde: AvroSerde,
  topology: Topology,
  options: { readonly log?: Logger; readonly env?: Readonly<Record<string, string | undefined>> } = {},
): Promise<{ score: number; deadLetter: number }> {
  const log = options.log ?? createLogger({ name: topology.name });
  const { topics } = topology;
  const managed = new Set<string>(topology.schemaRegistry.manageSubjects);
  const spec = (role: keyof typeof topics & string, schema: ContractSchemaName, writes: boolean): SubjectSpec => ({
    subject: `${String(topics[role])}-value`,
    role,
    schema: readContractSchema(schema),
    writes,
    needed: NEEDED_COMPATIBILITY[writes ? 'written' : 'read'],
    managed: managed.has(role),
  });
  const [score, deadLetter] = await ensureSubjects(
    { connection: registryConnection(topology, options.env), serde, log },
    [
      spec('input', 'transaction', false),
      spec('labels', 'label', false),
      spec('output', 'score', true),
      spec('deadLetter', 'dead-letter', true),
    ],
  );
  return { score: score as number, deadLetter: deadLetter as number };
}

/**
 * Warns about every version of the subjects the worker reads (input, labels) that the contract schema cannot read,
 * and reports how many each subject holds (`count`: the fraudscore_unreadable_schema_versions gauge). Their
 * compatibility level does not rule these out (version-readability.ts says why). Checks once before it resolves, then
 * every `intervalMs` (default SCHEMA_VERSION_CHECK_MS) until the returned watch is stopped: a version registered or
 * deleted while the worker runs is warned about, or no longer counted, within that time (schema-version-watch.ts).
 *
 * A warning, not a refused start: such a version may be one no producer writes with any more, and a worker that
 * refused to start over it would stop scoring every readable record too, at whatever hour it restarts. Records
 * written with one are dead-lettered WRONG_SCHEMA one by one, as any other unreadable record; the warning, the gauge
 * and its alert (FraudscoreUnreadableSchemaVersions) tell before the first of them arrives. For the same reason a
 * registry that cannot answer the check only gets a warning.
 */
export async function watchUnreadableVersions(
  topology: Topology,
  options: {
    readonly log: Logger;
    readonly count: (subject: string, unreadable: number) => void;
    readonly env?: Readonly<Record<string, string | undefined>>;
    readonly intervalMs?: number;
  },
): Promise<SchemaVersionWatch> {
  const connection = registryConnection(topology, options.env);
  const readers: Record<string, object> = {};
  const subjects: ReadSubject[] = [];
  const read: readonly [role: 'input' | 'labels', schema: ContractSchemaName][] = [
    ['input', 'transaction'],
    ['labels', 'label'],
  ];
  for (const [role, schema] of read) {
    const subject = `${topology.topics[role]}-value`;
    readers[subject] = readContractSchema(schema);
    subjects.push({ subject, role });
  }
  const watch = new SchemaVersionWatch({
    subjects,
    unreadableOf: (subject) => unreadableVersionsOf(connection, subject, readers[subject]!),
    count: options.count,
    log: options.log,
  });
  await watch.check();
  watch.start(options.intervalMs);
  return watch;
}
