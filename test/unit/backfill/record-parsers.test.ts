import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BackfillInputError } from '../../../src/backfill/errors.js';
import { eventParser, labelParser } from '../../../src/backfill/record-parsers.js';
import { validateLabel } from '../../../src/core/contract/validate-label.js';
import { TransactionContract, validateTransaction } from '../../../src/core/contract/validate-transaction.js';

const where = (line: number) => ({ file: 'in.jsonl', line });
/** The clock the contract's "at most 24 h ahead" rule is checked against. */
const NOW = Date.UTC(2026, 0, 10);
const EVENT_HEADER = 'transaction_id,event_time,customer_id,terminal_id,amount,currency';

function rejects(run: () => unknown, field: string, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof BackfillInputError, String(error));
    assert.equal(error.field, field);
    assert.match(error.message, message);
    return true;
  });
}

describe('record parsers', () => {
  it('read a JSON Lines event: epoch or ISO time, major units to minor, position from the line', () => {
    const parse = eventParser('jsonl', NOW);
    const line =
      '{"transaction_id":"t1","event_time":1704067200000,"customer_id":"c","terminal_id":"k","amount":10.25,"currency":"EUR","channel":null}';
    assert.deepEqual(parse.parse(line, where(7)), {
      transactionId: 't1',
      eventTimeMs: 1704067200000,
      customerId: 'c',
      terminalId: 'k',
      amountMinor: 1025,
      currency: 'EUR',
      position: { partition: 0, offset: 6 },
    });
    const iso = parse.parse(
      '{ "transaction_id": "t2", "event_time": "2024-01-01T01:00:00+01:00", "customer_id": "c", "terminal_id": "k", "amount": 0, "currency": "EUR" }',
      where(8),
    );
    assert.equal(iso?.eventTimeMs, 1704067200000);
    assert.equal(
      parse.parse(
        '{"transaction_id":"t3","event_time":"1704067200000","customer_id":"c","terminal_id":"k","amount":1,"currency":"EUR"}',
        where(9),
      )?.eventTimeMs,
      1704067200000,
    );
  });

  it('name file, line and field of bad input', () => {
    const parse = eventParser('jsonl', NOW);
    const ok = { transaction_id: 't', event_time: NOW, customer_id: 'c', terminal_id: 'k', amount: 1, currency: 'EUR' };
    const line = (patch: Record<string, unknown>) => JSON.stringify({ ...ok, ...patch });
    rejects(
      () => parse.parse(line({ amount: -1 }), where(3)),
      'amount',
      /^in\.jsonl:3:amount: violates the contract \(INVALID_AMOUNT, as the pipeline dead-letters it\): amount -1 is outside \[0, 1000000000\]$/,
    );
    rejects(() => parse.parse(line({ amount: '12,50' }), where(3)), 'amount', /got "12,50"/);
    rejects(() => parse.parse(line({ event_time: '2024-01-01T00:00:00' }), where(4)), 'event_time', /with a zone/);
    rejects(() => parse.parse(line({ event_time: 1.5 }), where(4)), 'event_time', /integer/);
    // Date.parse would read it as 2024-03-01.
    rejects(
      () => parse.parse(line({ event_time: '2024-02-30T10:00:00Z' }), where(4)),
      'event_time',
      /^in\.jsonl:4:event_time: "2024-02-30T10:00:00Z" is not on the calendar: February 2024 has no day 30 \(it has 29\); correct it in the input$/,
    );
    rejects(() => parse.parse(line({ currency: 'eur' }), where(5)), 'currency', /ISO 4217/);
    rejects(() => parse.parse(line({ customer_id: undefined }), where(6)), 'customer_id', /missing/);
    rejects(
      () => parse.parse(line({ transaction_id: 'x'.repeat(129) }), where(6)),
      'transaction_id',
      /1\.\.128 printable/,
    );
    rejects(() => parse.parse('{"transaction_id":', where(7)), '(line)', /not valid JSON/);
    rejects(() => parse.parse('[1,2]', where(8)), '(line)', /JSON object/);
  });

  it('read CSV by header names, in any column order, with quotes', () => {
    const parse = eventParser('csv', NOW);
    assert.equal(
      parse.parse('currency,amount,terminal_id,customer_id,event_time,transaction_id,extra', where(1)),
      null,
    );
    const event = parse.parse('EUR,12.5,"k,1",c,2024-01-01T00:00:00Z,t1,ignored', where(2));
    assert.equal(event?.terminalId, 'k,1');
    assert.equal(event?.amountMinor, 1250);
    assert.equal(event?.position.offset, 1);
    rejects(() => parse.parse('EUR,1e3,k,c,1,t2,x', where(3)), 'amount', /must be a number/);
    rejects(() => parse.parse('EUR,"1,k,c,1,t2,x', where(4)), '(line)', /unterminated quote/);
    const missing = eventParser('csv', NOW);
    rejects(
      () => missing.parse('transaction_id,event_time,customer_id,amount,currency', where(1)),
      'terminal_id',
      /header lacks/,
    );
  });

  it('say the files look swapped when a record has the other kind of input columns, and only then', () => {
    const event =
      '{"transaction_id":"t1","event_time":1704067200000,"customer_id":"c","terminal_id":"k","amount":1,"currency":"EUR"}';
    const label = '{"transaction_id":"t1","is_fraud":false,"reported_at":1704067200000}';
    const toLabels =
      /its columns are those of --events input \(transaction_id, event_time, customer_id, terminal_id, amount, currency\): give --labels the labels file \(were the two swapped\?\)$/;
    const toEvents =
      /its columns are those of --labels input \(transaction_id, is_fraud, reported_at\): give --events the events file \(were the two swapped\?\)$/;
    rejects(() => labelParser('jsonl', NOW).parse(event, where(1)), 'is_fraud', toLabels);
    rejects(() => eventParser('jsonl', NOW).parse(label, where(1)), 'event_time', toEvents);
    rejects(() => labelParser('csv', NOW).parse(EVENT_HEADER, where(1)), 'is_fraud,reported_at', toLabels);
    rejects(
      () => eventParser('csv', NOW).parse('reported_at,is_fraud,transaction_id', where(1)),
      'event_time,customer_id,terminal_id,amount,currency',
      toEvents,
    );
    // A record missing a column without being the other kind: the plain refusal.
    rejects(
      () => labelParser('jsonl', NOW).parse('{"transaction_id":"t1","reported_at":1}', where(1)),
      'is_fraud',
      /^in\.jsonl:1:is_fraud: missing$/,
    );
    rejects(
      () => labelParser('csv', NOW).parse('transaction_id,amount', where(1)),
      'is_fraud,reported_at',
      /transaction_id, is_fraud, reported_at$/,
    );
  });

  it('read labels: is_fraud as boolean, 1/0 or text', () => {
    const jsonl = labelParser('jsonl', NOW);
    assert.deepEqual(
      jsonl.parse('{"transaction_id":"t","is_fraud":1,"reported_at":"2024-01-02T00:00:00Z"}', where(1)),
      {
        transactionId: 't',
        isFraud: true,
        reportedAtMs: Date.UTC(2024, 0, 2),
      },
    );
    const csv = labelParser('csv', NOW);
    csv.parse('transaction_id,is_fraud,reported_at', where(1));
    assert.equal(csv.parse('t,false,5', where(2))?.isFraud, false);
    rejects(() => csv.parse('t,yes,5', where(3)), 'is_fraud', /true, false, 1 or 0/);
    rejects(() => csv.parse('t,true,2023-02-29T08:00:00Z', where(4)), 'reported_at', /February 2023 has no day 29/);
  });

  it('refuse a record the contract refuses, naming its field: no training row from what a worker dead-letters', () => {
    const parse = eventParser('jsonl', NOW);
    const ok = { transaction_id: 't', event_time: NOW, customer_id: 'c', terminal_id: 'k', amount: 1, currency: 'EUR' };
    const line = (patch: Record<string, unknown>) => JSON.stringify({ ...ok, ...patch });
    const contract = (reason: string) =>
      new RegExp(`violates the contract \\(${reason}, as the pipeline dead-letters it\\)`);
    rejects(() => parse.parse(line({ customer_id: 'c 1' }), where(2)), 'customer_id', contract('INVALID_FIELD'));
    rejects(() => parse.parse(line({ terminal_id: 'k'.repeat(200) }), where(3)), 'terminal_id', /1\.\.128 printable/);
    rejects(() => parse.parse(line({ transaction_id: 'nonascii-é' }), where(4)), 'transaction_id', /printable ASCII/);
    rejects(() => parse.parse(line({ amount: 2e9 }), where(5)), 'amount', contract('INVALID_AMOUNT'));
    rejects(
      () => parse.parse(line({ event_time: '1990-06-01T00:00:00Z' }), where(6)),
      'event_time',
      contract('ABSURD_TIMESTAMP'),
    );
    rejects(
      () => parse.parse(line({ event_time: NOW + TransactionContract.maxFutureSkewMs + 1 }), where(7)),
      'event_time',
      contract('ABSURD_TIMESTAMP'),
    );
    assert.equal(
      parse.parse(line({ event_time: NOW + TransactionContract.maxFutureSkewMs }), where(8))?.transactionId,
      't',
    );
    const labels = labelParser('jsonl', NOW);
    rejects(
      () => labels.parse('{"transaction_id":"t 1","is_fraud":true,"reported_at":0}', where(9)),
      'transaction_id',
      /INVALID_FIELD, as the pipeline dead-letters it\): transaction_id must be 1\.\.128 printable ASCII/,
    );
    rejects(
      () => labels.parse('{"transaction_id":"t","is_fraud":true,"reported_at":-1}', where(9)),
      'reported_at',
      contract('ABSURD_TIMESTAMP'),
    );
    rejects(
      () => labels.parse('{"transaction_id":"t","is_fraud":true,"reported_at":"1969-12-31T23:59:59Z"}', where(10)),
      'reported_at',
      contract('ABSURD_TIMESTAMP'),
    );
    rejects(
      () => labels.parse(`{"transaction_id":"t","is_fraud":true,"reported_at":${NOW + 86_400_001}}`, where(11)),
      'reported_at',
      contract('ABSURD_TIMESTAMP'),
    );
    assert.equal(
      labels.parse(`{"transaction_id":"t","is_fraud":true,"reported_at":${NOW + 86_400_000}}`, where(12))?.reportedAtMs,
      NOW + 86_400_000,
    );
  });

  /**
   * Over records as a worker decodes them (JSON's types are Avro's here: ids and currency strings, event_time and
   * amount numbers), the file backfill takes a record exactly when the contract does, with the same values; and when
   * one field alone is bad, both name that field.
   */
  describe('accept a record iff the contract does', () => {
    const edges: Record<string, readonly unknown[]> = {
      id: ['c-1', '!~', 'x'.repeat(128), 'x'.repeat(129), '', 'c 1', 'nonascii-é', 'tab\there', 'a"b', 5, null],
      event_time: [
        NOW,
        TransactionContract.minEventTimeMs,
        TransactionContract.minEventTimeMs - 1,
        NOW + TransactionContract.maxFutureSkewMs,
        NOW + TransactionContract.maxFutureSkewMs + 1,
        Date.UTC(1990, 0, 1),
        0,
        -1,
        1.5,
        null,
      ],
      amount: [0, 0.01, 12.345, 1e9, 1e9 + 0.01, 2e9, -0.01, 1e300, null, true],
      currency: ['EUR', 'eur', 'EU', 'EURO', '', 978, null],
    };
    const fieldEdges: Record<string, readonly unknown[]> = {
      transaction_id: edges['id']!,
      event_time: edges['event_time']!,
      customer_id: edges['id']!,
      terminal_id: edges['id']!,
      amount: edges['amount']!,
      currency: edges['currency']!,
    };
    const valid = {
      transaction_id: 't-1',
      event_time: NOW,
      customer_id: 'c-1',
      terminal_id: 'k-1',
      amount: 1,
      currency: 'EUR',
    };

    /** The file parser's verdict on a JSON line: the event, or the field it names. */
    function fileVerdict(line: string): { event: unknown } | { field: string } {
      try {
        return { event: eventParser('jsonl', NOW).parse(line, where(2)) };
      } catch (error) {
        assert.ok(error instanceof BackfillInputError, String(error));
        return { field: error.field };
      }
    }
    function contractVerdict(line: string): { event: unknown } | { field: string } {
      const checked = validateTransaction(JSON.parse(line) as Record<string, unknown>, NOW);
      return checked.ok
        ? { event: { ...checked.event, position: { partition: 0, offset: 1 } } }
        : { field: checked.field };
    }

    it('one field at a time, each edge value, or the field missing', () => {
      for (const [field, values] of Object.entries(fieldEdges)) {
        for (const value of [...values, undefined]) {
          const line = JSON.stringify({ ...valid, [field]: value });
          assert.deepEqual(fileVerdict(line), contractVerdict(line), line);
        }
      }
    });

    it('any combination of edge values and missing fields (fast-check)', () => {
      const record = fc.record(
        Object.fromEntries(Object.entries(fieldEdges).map(([field, values]) => [field, fc.constantFrom(...values)])),
        { requiredKeys: [] },
      );
      fc.assert(
        fc.property(record, (fields) => {
          const line = JSON.stringify(fields);
          const file = fileVerdict(line);
          const contract = contractVerdict(line);
          assert.equal('event' in file, 'event' in contract, line);
          if ('event' in contract) assert.deepEqual(file, contract, line);
        }),
        { numRuns: 3000, seed: 20260110 },
      );
    });

    it('labels too', () => {
      const label = fc.record(
        {
          transaction_id: fc.constantFrom(...edges['id']!),
          is_fraud: fc.constantFrom(true, false, 'yes', null),
          reported_at: fc.constantFrom(NOW, 0, -1, 1.5, null, NOW + TransactionContract.maxFutureSkewMs + 1),
        },
        { requiredKeys: [] },
      );
      fc.assert(
        fc.property(label, (fields) => {
          const line = JSON.stringify(fields);
          let file: unknown;
          try {
            file = labelParser('jsonl', NOW).parse(line, where(2));
          } catch (error) {
            assert.ok(error instanceof BackfillInputError, String(error));
          }
          const checked = validateLabel(JSON.parse(line) as Record<string, unknown>, NOW);
          assert.deepEqual(file, checked.ok ? checked.label : undefined, line);
        }),
        { numRuns: 500, seed: 20260110 },
      );
    });
  });
});
