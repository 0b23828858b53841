import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sinceOf } from '../../../../src/cli/commands/shadow.js';

describe('fraudscore shadow report --since', () => {
  it('takes a duration back from now or an ISO time', () => {
    const before = Date.now();
    const since = sinceOf('24h');
    assert.ok(since >= before - 86_400_000 && since <= Date.now() - 86_400_000 + 1);
    assert.equal(sinceOf('2026-03-01'), Date.UTC(2026, 2, 1));
    assert.equal(sinceOf('2026-03-01T12:00:00Z'), Date.UTC(2026, 2, 1, 12));
  });

  it('refuses an impossible date instead of rolling it over to the next month', () => {
    assert.throws(
      () => sinceOf('2026-02-30'),
      /--since: "2026-02-30" is not on the calendar: February 2026 has no day 30/,
    );
    assert.throws(() => sinceOf('yesterday'), /--since: "yesterday" is neither an ISO time with a zone nor a duration/);
  });
});
