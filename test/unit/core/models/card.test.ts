import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseModelCard, validateModelCard } from '../../../../src/core/models/card.js';
import { fakeModel, makeCard, SAMPLE_CARD } from './card-fixture.js';

function problemsOf(raw: unknown): readonly string[] {
  const result = validateModelCard(raw);
  assert.equal(result.ok, false, 'expected the card to be refused');
  return result.ok ? [] : result.problems;
}

describe('model card schema', () => {
  it('accepts the card the Python trainer writes', () => {
    const result = validateModelCard(SAMPLE_CARD);
    assert.ok(result.ok, result.ok ? '' : result.problems.join('\n'));
    assert.equal(result.card.input.name, 'input');
    assert.equal(result.card.output.positiveClassIndex, 1);
    assert.equal(result.card.input.features.length, 15);
  });

  it('names a missing field by its path', () => {
    const card = makeCard('card-fraud', '3', fakeModel('3')) as Record<string, unknown>;
    const { dataset, ...withoutDataset } = card;
    void dataset;
    assert.deepEqual(problemsOf(withoutDataset), ['dataset: required field is missing (expected an object)']);
  });

  it('tells a field of the wrong type from a missing one', () => {
    const card = makeCard('card-fraud', '3', fakeModel('3'));
    const problems = problemsOf({ ...card, dataset: { ...card.dataset, rows: 'many' } });
    assert.deepEqual(problems, ['dataset.rows: expected a number, found a string']);
    assert.deepEqual(problemsOf([card]), ['(root): expected an object, found an array']);
  });

  it('names a malformed hash by its path', () => {
    const card = makeCard('card-fraud', '3', fakeModel('3'));
    const problems = problemsOf({ ...card, dataset: { ...card.dataset, tableSha256: 'abc' } });
    assert.deepEqual(problems, ['dataset.tableSha256: 64 lowercase hex digits (a SHA-256)']);
  });

  it('takes a recorded table file name, never a path (a retrain writes the table under it)', () => {
    const card = makeCard('card-fraud', '3', fakeModel('3'));
    const backfill = {
      topology: null,
      labelDelayMs: 604_800_000,
      latenessMarginMs: null,
      fromMs: null,
      toMs: null,
      labelAsOfMs: null,
    };
    const withTable = (tableFile: string) => ({
      ...card,
      dataset: { ...card.dataset, backfill: { ...backfill, tableFile } },
    });
    assert.ok(validateModelCard(withTable('training-table.parquet')).ok);
    for (const bad of ['../outside.parquet', '/tmp/t.csv', '..', 'a\\b.csv']) {
      assert.deepEqual(
        problemsOf(withTable(bad)),
        ['dataset.backfill.tableFile: a file name without a directory'],
        bad,
      );
    }
  });

  it('refuses a model file other than model.onnx and a non-float32 input', () => {
    const card = makeCard('card-fraud', '3', fakeModel('3'));
    const problems = problemsOf({ ...card, modelFile: 'model.bin', input: { ...card.input, dtype: 'float64' } });
    assert.equal(problems.length, 2);
    assert.match(problems[0] ?? '', /^modelFile: /);
    assert.match(problems[1] ?? '', /^input\.dtype: float32/);
  });

  it('refuses bad names, the reserved version "champion" and self-rollback', () => {
    assert.match(problemsOf(makeCard('Card Fraud', '3', fakeModel('3')))[0] ?? '', /^name: lower-case/);
    assert.match(problemsOf(makeCard('card-fraud', 'champion', fakeModel('3')))[0] ?? '', /^version: "champion"/);
    const self = makeCard('card-fraud', '3', fakeModel('3'), { rollbackTarget: 'card-fraud@3' });
    assert.deepEqual(problemsOf(self), ['rollbackTarget: a model cannot be its own rollback target']);
    const bad = makeCard('card-fraud', '3', fakeModel('3'), { rollbackTarget: 'card-fraud' });
    assert.match(problemsOf(bad)[0] ?? '', /^rollbackTarget: name@version/);
  });

  it('reports unparseable JSON with the file name', () => {
    const result = parseModelCard('{"name":', 'registry/card-fraud/3/card.json');
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : (result.problems[0] ?? ''), /^registry\/card-fraud\/3\/card\.json: not valid JSON/);
  });
});
