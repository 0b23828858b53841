import { registryConnection, type Topology } from '../config/index.js';
import { createLogger, type Logger } from '../adapters/observability/logger.js';
import type { AvroSerde } from '../adapters/registry/serde.js';
import { readContractSchema, type ContractSchemaName } from '../adapters/registry/contract-schemas.js';
import { ensureSubjects, type SubjectSpec } from '../adapters/registry/subjects.js';
import { NEEDED_COMPATIBILITY } from '../core/contract/compatibility.js';

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
