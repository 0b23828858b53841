import avro from 'avsc';
import type { Topology } from '../../../src/config/index.js';
import { readContractSchema } from '../../../src/adapters/registry/contract-schemas.js';
import type { PositionedTransaction } from '../../../src/core/contract/events.js';
import { validateTransaction } from '../../../src/core/contract/validate-transaction.js';
import { createFeatureEngine } from '../../../src/core/features/engine.js';
import { createMemoryFeatureState } from '../../../src/core/features/memory-state.js';
import { readCommitted, STACK, type ReadRecord } from '../stack.js';

const HEADER_BYTES = 5;
const DAY_MS = 86_400_000;

export interface SchemaIdUse {
  readonly topic: string;
  readonly schemaId: number;
  readonly records: number;
  /** When each of these records was scored or dead-lettered (wall clock). */
  readonly atMs: readonly number[];
  /** What the id means in the registry now: the expected schema, nothing, or another schema. */
  readonly resolves: 'expected' | 'missing' | 'other' | 'registry unreachable';
}

export interface OutcomeReport {
  readonly inputs: number;
  /** Inputs that are not valid transactions by the contract: each must become a dead letter. */
  readonly invalidInputs: number;
  readonly outcomes: number;
  readonly scores: number;
  readonly deadLetters: number;
  readonly lost: number;
  readonly duplicated: number;
  /** Outcomes naming a position that is not an input, or that do not decode with the contract schema. */
  readonly unexpected: number;
  readonly examples: { lost: string[]; duplicated: string[]; unexpected: string[] };
  readonly deadLetterReasons: Record<string, number>;
  /** Outcomes per worker instance, from the batch id each carries. */
  readonly perWorker: Record<string, number>;
  readonly schemaIds: SchemaIdUse[];
  /**
   * Every feature (customer and terminal) of every score, against the same definitions run over the input log with
   * the in-memory state in the backfill's order (partitions merged by event time, ties by partition, each partition
   * in offset order): what an uninterrupted run gives.
   */
  readonly features: { compared: number; differing: number; examples: string[] };
}

interface Decoded {
  readonly topic: string;
  readonly position: string;
  readonly schemaId: number;
  readonly value: Record<string, unknown>;
}

function decodeWith(type: avro.Type, raw: Buffer | null): { schemaId: number; value: Record<string, unknown> } | null {
  if (!raw || raw.length < HEADER_BYTES || raw[0] !== 0) return null;
  try {
    return {
      schemaId: raw.readUInt32BE(1),
      value: type.fromBuffer(raw.subarray(HEADER_BYTES)) as Record<string, unknown>,
    };
  } catch {
    return null;
  }
}

async function resolveId(schemaId: number, expected: avro.Type): Promise<SchemaIdUse['resolves']> {
  try {
    const response = await fetch(`${STACK.registryUrl}/schemas/ids/${schemaId}`, {
      signal: AbortSignal.timeout(5_000),
    });
    if (response.status === 404) return 'missing';
    if (!response.ok) return 'registry unreachable';
    const { schema } = (await response.json()) as { schema: string };
    const found = avro.Type.forSchema(JSON.parse(schema) as avro.Schema);
    return found.fingerprint('sha256').equals(expected.fingerprint('sha256')) ? 'expected' : 'other';
  } catch {
    return 'registry unreachable';
  }
}

/**
 * Reads the whole input topic and every committed outcome (read_committed, as downstream does) and checks
 * invariant 3 by input position. Outcomes are decoded with the contract schema of their topic, not through the
 * registry, so that the count does not depend on what the registry remembers; what each schema id means in the
 * registry is checked separately (schemaIds).
 */
export async function accountOutcomes(
  topology: Topology,
  options: {
    inputCount: number;
    /** Writer schemas the valid input events may have been written with (tried in turn: ids may have been reused). */
    transactionTypes: readonly avro.Type[];
    workerIds: readonly string[];
    timeoutMs: number;
    settleMs: number;
  },
): Promise<OutcomeReport> {
  const { input, output, deadLetter } = topology.topics;
  const inputRecords = await readCommitted([input], (r) => r.length >= options.inputCount, options.timeoutMs, {
    raw: true,
  });
  const inputPositions = new Set(inputRecords.map((r) => `${r.partition}@${r.offset}`));

  const types = {
    [output]: avro.Type.forSchema(readContractSchema('score') as avro.Schema),
    [deadLetter]: avro.Type.forSchema(readContractSchema('dead-letter') as avro.Schema),
  } as Record<string, avro.Type>;
  const decoded: Decoded[] = [];
  const undecodable: string[] = [];
  const covered = new Set<string>();
  let seen = 0;
  const absorb = (records: ReadRecord[]) => {
    for (; seen < records.length; seen++) {
      const record = records[seen] as ReadRecord;
      const result = decodeWith(types[record.topic] as avro.Type, record.raw);
      if (!result) {
        undecodable.push(`${record.topic}/${record.partition}@${record.offset}`);
        continue;
      }
      const position = `${String(result.value['source_partition'])}@${String(result.value['source_offset'])}`;
      covered.add(position);
      decoded.push({ topic: record.topic, position, schemaId: result.schemaId, value: result.value });
    }
    return covered.size >= inputPositions.size;
  };
  const outputs = await readCommitted([output, deadLetter], absorb, options.timeoutMs, {
    raw: true,
    settleMs: options.settleMs,
  });
  absorb(outputs);

  const byPosition = new Map<string, Decoded[]>();
  for (const outcome of decoded)
    byPosition.set(outcome.position, [...(byPosition.get(outcome.position) ?? []), outcome]);
  const lost = [...inputPositions].filter((p) => !byPosition.has(p));
  const duplicated = [...byPosition].filter(([, found]) => found.length > 1).map(([p]) => p);
  const unexpected = [...[...byPosition.keys()].filter((p) => !inputPositions.has(p)), ...undecodable];

  const deadLetterReasons: Record<string, number> = {};
  const perWorker: Record<string, number> = {};
  const idUses = new Map<string, { topic: string; schemaId: number; records: number; atMs: number[] }>();
  for (const outcome of decoded) {
    if (outcome.topic === deadLetter) {
      const reason = String(outcome.value['reason']);
      deadLetterReasons[reason] = (deadLetterReasons[reason] ?? 0) + 1;
    }
    const batchId = String(outcome.value['batch_id']);
    const worker = options.workerIds.find((id) => batchId.startsWith(`${topology.name}-${id}-`)) ?? 'unknown';
    perWorker[worker] = (perWorker[worker] ?? 0) + 1;
    const key = `${outcome.topic}#${outcome.schemaId}`;
    const use = idUses.get(key) ?? { topic: outcome.topic, schemaId: outcome.schemaId, records: 0, atMs: [] };
    use.records++;
    const at = Number(outcome.value[outcome.topic === deadLetter ? 'dead_lettered_at' : 'scored_at']);
    use.atMs.push(at);
    idUses.set(key, use);
  }
  const schemaIds: SchemaIdUse[] = [];
  for (const use of idUses.values()) {
    schemaIds.push({ ...use, resolves: await resolveId(use.schemaId, types[use.topic] as avro.Type) });
  }

  const scores = decoded.filter((o) => o.topic === output);
  const features = await compareFeatures(topology, inputRecords, scores, options.transactionTypes);
  return {
    inputs: inputPositions.size,
    outcomes: decoded.length + undecodable.length,
    scores: scores.length,
    deadLetters: decoded.length - scores.length,
    lost: lost.length,
    duplicated: duplicated.length,
    unexpected: unexpected.length,
    examples: { lost: lost.slice(0, 10), duplicated: duplicated.slice(0, 10), unexpected: unexpected.slice(0, 10) },
    deadLetterReasons,
    perWorker,
    schemaIds,
    invalidInputs: inputPositions.size - features.validInputs,
    features: features.comparison,
  };
}

/** The backfill's order: the partition whose head has the least event time first (ties: lower partition). */
function mergedByEventTime(byPartition: Map<number, PositionedTransaction[]>): PositionedTransaction[] {
  const partitions = [...byPartition.keys()].sort((a, b) => a - b);
  const heads = new Map(partitions.map((p) => [p, 0]));
  const merged: PositionedTransaction[] = [];
  for (;;) {
    let best: number | undefined;
    for (const p of partitions) {
      const head = byPartition.get(p)?.[heads.get(p) as number];
      if (!head) continue;
      const bestHead = best === undefined ? undefined : byPartition.get(best)?.[heads.get(best) as number];
      if (!bestHead || head.eventTimeMs < bestHead.eventTimeMs) best = p;
    }
    if (best === undefined) return merged;
    merged.push(byPartition.get(best)?.[heads.get(best) as number] as PositionedTransaction);
    heads.set(best, (heads.get(best) as number) + 1);
  }
}

async function compareFeatures(
  topology: Topology,
  inputs: readonly ReadRecord[],
  scores: readonly Decoded[],
  transactionTypes: readonly avro.Type[],
): Promise<{ validInputs: number; comparison: OutcomeReport['features'] }> {
  const byPartition = new Map<number, PositionedTransaction[]>();
  for (const record of inputs) {
    let result: ReturnType<typeof decodeWith> = null;
    for (const type of transactionTypes) if ((result = decodeWith(type, record.raw))) break;
    if (!result) continue;
    const checked = validateTransaction(result.value, Date.now());
    if (!checked.ok) continue;
    const list = byPartition.get(record.partition) ?? [];
    list.push({ ...checked.event, position: { partition: record.partition, offset: Number(record.offset) } });
    byPartition.set(record.partition, list);
  }
  for (const events of byPartition.values()) events.sort((a, b) => a.position.offset - b.position.offset);
  const engine = createFeatureEngine({
    state: createMemoryFeatureState(),
    labelDelayMs: topology.features.labelDelayDays * DAY_MS,
  });
  const names = engine.schema.names;
  const expected = new Map<string, Float64Array>();
  const ordered = mergedByEventTime(byPartition);
  for (let i = 0; i < ordered.length; i += 1000) {
    const batch = ordered.slice(i, i + 1000);
    const rows = await engine.featurize(batch);
    rows.forEach((row, j) => {
      const { partition, offset } = (batch[j] as PositionedTransaction).position;
      expected.set(`${partition}@${offset}`, row.values);
    });
  }
  let compared = 0;
  const differing: string[] = [];
  for (const score of scores) {
    const want = expected.get(score.position);
    if (!want) continue;
    compared++;
    const got = score.value['features'] as Record<string, number>;
    const wrong = names.filter((name, f) => !Object.is(got[name], want[f]));
    if (wrong.length > 0) {
      const first = wrong[0] as string;
      differing.push(`${score.position} ${first}=${got[first]} (uninterrupted: ${want[names.indexOf(first)]})`);
    }
  }
  let validInputs = 0;
  for (const events of byPartition.values()) validInputs += events.length;
  return { validInputs, comparison: { compared, differing: differing.length, examples: differing.slice(0, 5) } };
}
