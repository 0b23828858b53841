import assert from 'node:assert/strict';
import type { ReadRecord } from './stack.js';

/**
 * Invariant 3: every consumed input record (by its partition and offset) has exactly one outcome, a score or a
 * dead letter, and nothing else appears. Where an id was given for a position, the outcome must carry it.
 */
export function assertExactlyOneOutcome(
  inputs: readonly { partition: number; offset: string; transactionId?: string }[],
  scores: readonly ReadRecord[],
  deadLetters: readonly ReadRecord[],
): { lost: number; duplicated: number } {
  const outcomes = new Map<string, Record<string, unknown>[]>();
  for (const record of [...scores, ...deadLetters]) {
    const position = `${String(record.value['source_partition'])}@${String(record.value['source_offset'])}`;
    outcomes.set(position, [...(outcomes.get(position) ?? []), record.value]);
  }
  const expected = new Map(inputs.map((input) => [`${input.partition}@${input.offset}`, input.transactionId]));
  const lost = [...expected.keys()].filter((position) => !outcomes.has(position));
  const duplicated = [...outcomes].filter(([, found]) => found.length > 1).map(([position]) => position);
  const unexpected = [...outcomes.keys()].filter((position) => !expected.has(position));
  const wrongId = [...expected]
    .filter(([position, id]) => id !== undefined && outcomes.get(position)?.[0]?.['transaction_id'] !== id)
    .map(([position]) => position);
  assert.deepEqual(
    {
      lost: lost.slice(0, 10),
      duplicated: duplicated.slice(0, 10),
      unexpected: unexpected.slice(0, 10),
      wrongId: wrongId.slice(0, 10),
    },
    { lost: [], duplicated: [], unexpected: [], wrongId: [] },
  );
  assert.equal(scores.length + deadLetters.length, inputs.length);
  return { lost: lost.length, duplicated: duplicated.length };
}

/** Invariant 4: every published score is finite and in [0, 1]. */
export function assertAllScoresFinite(scores: readonly ReadRecord[]): void {
  for (const record of scores) {
    const score = record.value['score'] as number;
    assert.ok(
      Number.isFinite(score) && score >= 0 && score <= 1,
      `score ${score} of ${String(record.value['transaction_id'])}`,
    );
    for (const [name, value] of Object.entries(record.value['features'] as Record<string, number>)) {
      assert.ok(Number.isFinite(value), `feature ${name} = ${value}`);
    }
  }
}

/** Invariant 5: every score names its model, version, feature schema and carries the features it used. */
export function assertTraceable(
  scores: readonly ReadRecord[],
  expected: { model: string; version: string; featureSchemaVersion: string; featureNames: readonly string[] },
): void {
  for (const record of scores) {
    const value = record.value;
    assert.equal(value['model_name'], expected.model);
    assert.equal(value['model_version'], expected.version);
    assert.equal(value['feature_schema_version'], expected.featureSchemaVersion);
    assert.deepEqual(Object.keys(value['features'] as object).sort(), [...expected.featureNames].sort());
    assert.ok(typeof value['batch_id'] === 'string' && (value['batch_id'] as string).length > 0);
  }
}
