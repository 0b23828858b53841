import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DeadLetterReason, ScoreReasonCode } from '../../../src/core/contract/reasons.js';

const DOC = 'docs/guarantees-input.md';

/** The codes in the first column of the table under a `## heading` of the document (`X:<detail>` read as X). */
function codesUnder(text: string, heading: string): string[] {
  const section = text.split(/^## /m).find((part) => part.startsWith(heading));
  assert.ok(section, `${DOC} has a "## ${heading}" section`);
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => /^\| `([A-Z_]+)/.exec(line)?.[1] ?? line);
}

/** docs/guarantees-input.md is written by hand: its tables must still hold the whole closed vocabularies. */
describe(DOC, () => {
  const text = readFileSync(DOC, 'utf8');

  it('lists every dead-letter reason, and no other', () => {
    assert.deepEqual(codesUnder(text, 'Dead-letter reasons').sort(), Object.values(DeadLetterReason).sort());
  });

  it('lists every reason code a score can carry, and no other', () => {
    assert.deepEqual(codesUnder(text, 'Reason codes on scores').sort(), Object.values(ScoreReasonCode).sort());
  });
});
