import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  dayFinalAtMs,
  foldLabelReport,
  labelOf,
  withReportTime,
  type LabelClock,
  type LabelView,
} from '../../../../src/core/monitoring/label-rule.js';

const DAY = 86_400_000;
const D0 = 20_000; // a UTC day index
const horizonDays = 3;

type Report = { readonly isFraud: boolean; readonly reportedAtMs: number };

const fold = (reports: readonly Report[]): LabelView | undefined =>
  reports.reduce<LabelView | undefined>((known, report) => foldLabelReport(known, report), undefined);

/** Both clocks at `ms`. */
const clockAt = (ms: number): LabelClock => ({ horizonDays, streamTimeMs: ms, nowMs: ms });

// One transaction id used twice: on day D0, and again on day D0 + 20 (long past the duplicate horizon).
const firstUseMs = D0 * DAY + 3_600_000;
const secondUseMs = (D0 + 20) * DAY + 3_600_000;
const bothFinal = clockAt(dayFinalAtMs(D0 + 20, horizonDays));
const secondOpen = clockAt(dayFinalAtMs(D0 + 20, horizonDays) - 1);

describe('label rule: a report belongs to the use of a transaction id it was made after', () => {
  it('does not let a reused id inherit a fraud report made before its transaction', () => {
    const label = fold([{ isFraud: true, reportedAtMs: firstUseMs + DAY }]);
    assert.equal(labelOf(label, firstUseMs, bothFinal), true, 'the first use was reported');
    assert.equal(labelOf(label, secondUseMs, secondOpen), null, 'the second use: nothing known yet');
    assert.equal(labelOf(label, secondUseMs, bothFinal), false, 'the second use: genuine once its day is final');
  });

  it('keeps each use’s own fraud report, whichever arrived first', () => {
    const reports: Report[] = [
      { isFraud: true, reportedAtMs: firstUseMs + DAY },
      { isFraud: true, reportedAtMs: secondUseMs + DAY },
    ];
    for (const order of [reports, [...reports].reverse()]) {
      const label = fold(order);
      assert.equal(labelOf(label, firstUseMs, bothFinal), true);
      assert.equal(labelOf(label, secondUseMs, secondOpen), true, 'the earlier report does not hide the later one');
    }
  });

  it('does not confirm a later use as genuine with an earlier use’s confirmation', () => {
    const label = fold([{ isFraud: false, reportedAtMs: firstUseMs + DAY }]);
    assert.equal(labelOf(label, firstUseMs, clockAt(firstUseMs + DAY)), false, 'confirmed at once');
    assert.equal(labelOf(label, secondUseMs, secondOpen), null, 'not before its own day is final');
    // Its own confirmation counts at once, as before; a fraud report within the horizon still wins.
    const confirmed = foldLabelReport(label, { isFraud: false, reportedAtMs: secondUseMs + DAY });
    assert.equal(labelOf(confirmed, secondUseMs, secondOpen), false);
    const reported = foldLabelReport(confirmed, { isFraud: true, reportedAtMs: secondUseMs + 2 * DAY });
    assert.equal(labelOf(reported, secondUseMs, secondOpen), true);
  });

  it('counts a report made at the transaction’s own instant, and keeps report times ascending and once', () => {
    assert.equal(labelOf(fold([{ isFraud: true, reportedAtMs: firstUseMs }]), firstUseMs, clockAt(firstUseMs)), true);
    let times: readonly number[] = [];
    for (const ms of [5, 1, 3, 5, 1]) times = withReportTime(times, ms);
    assert.deepEqual(times, [1, 3, 5]);
  });
});
