import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackfillInputError } from '../../../src/backfill/errors.js';
import { eventParser, labelParser } from '../../../src/backfill/record-parsers.js';

const where = (line: number) => ({ file: 'in.jsonl', line });

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
    const parse = eventParser('jsonl');
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
    const parse = eventParser('jsonl');
    const ok = { transaction_id: 't', event_time: 1, customer_id: 'c', terminal_id: 'k', amount: 1, currency: 'EUR' };
    const line = (patch: Record<string, unknown>) => JSON.stringify({ ...ok, ...patch });
    rejects(
      () => parse.parse(line({ amount: -1 }), where(3)),
      'amount',
      /^in\.jsonl:3:amount: must be a finite number >= 0/,
    );
    rejects(() => parse.parse(line({ amount: '12,50' }), where(3)), 'amount', /got "12,50"/);
    rejects(() => parse.parse(line({ event_time: '2024-01-01T00:00:00' }), where(4)), 'event_time', /with a zone/);
    rejects(() => parse.parse(line({ event_time: 1.5 }), where(4)), 'event_time', /integer/);
    rejects(() => parse.parse(line({ currency: 'eur' }), where(5)), 'currency', /ISO 4217/);
    rejects(() => parse.parse(line({ customer_id: undefined }), where(6)), 'customer_id', /missing/);
    rejects(() => parse.parse(line({ transaction_id: 'x'.repeat(129) }), where(6)), 'transaction_id', /at most 128/);
    rejects(() => parse.parse('{"transaction_id":', where(7)), '(line)', /not valid JSON/);
    rejects(() => parse.parse('[1,2]', where(8)), '(line)', /JSON object/);
  });

  it('read CSV by header names, in any column order, with quotes', () => {
    const parse = eventParser('csv');
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
    const missing = eventParser('csv');
    rejects(
      () => missing.parse('transaction_id,event_time,customer_id,amount,currency', where(1)),
      'terminal_id',
      /header lacks/,
    );
  });

  it('read labels: is_fraud as boolean, 1/0 or text', () => {
    const jsonl = labelParser('jsonl');
    assert.deepEqual(
      jsonl.parse('{"transaction_id":"t","is_fraud":1,"reported_at":"2024-01-02T00:00:00Z"}', where(1)),
      {
        transactionId: 't',
        isFraud: true,
        reportedAtMs: Date.UTC(2024, 0, 2),
      },
    );
    const csv = labelParser('csv');
    csv.parse('transaction_id,is_fraud,reported_at', where(1));
    assert.equal(csv.parse('t,false,5', where(2))?.isFraud, false);
    rejects(() => csv.parse('t,yes,5', where(3)), 'is_fraud', /true, false, 1 or 0/);
  });
});
