import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import {
  createLogger,
  logFormatFor,
  logLevelFor,
  type LogFormat,
} from '../../../../src/adapters/observability/logger.js';

/** Logs one entry in `format` into memory; `isTTY` says whether the destination claims to be a terminal. */
function logged(format: LogFormat | undefined, isTTY = false): string[] {
  const destination = Object.assign(new PassThrough(), { isTTY });
  const chunks: Buffer[] = [];
  destination.on('data', (chunk: Buffer) => chunks.push(chunk));
  const log = createLogger({ name: 'card-payments', destination, ...(format ? { format } : {}) });
  log.info({ model: 'card-fraud@1', metrics: '127.0.0.1:9464', sasl: { password: 'hunter2' } }, 'pipeline ready');
  log.warn({ err: 'connect ECONNREFUSED 127.0.0.1:16379' }, 'redis connection error');
  return Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean);
}

describe('logger', () => {
  it('chooses readable lines for a terminal and JSON for anything else; FRAUDSCORE_LOG_FORMAT overrides', () => {
    assert.equal(logFormatFor({ isTTY: true }, {}), 'pretty');
    assert.equal(logFormatFor({ isTTY: false }, {}), 'json');
    assert.equal(logFormatFor({}, {}), 'json', 'a pipe or file has no isTTY');
    assert.equal(logFormatFor({ isTTY: true }, { FRAUDSCORE_LOG_FORMAT: 'json' }), 'json');
    assert.equal(logFormatFor({ isTTY: false }, { FRAUDSCORE_LOG_FORMAT: 'pretty' }), 'pretty');
    assert.throws(
      () => logFormatFor({}, { FRAUDSCORE_LOG_FORMAT: 'text' }),
      /^Error: FRAUDSCORE_LOG_FORMAT: "text" is not a log format; use json or pretty/,
    );
  });

  it('takes the level from FRAUDSCORE_LOG_LEVEL, refusing one pino lacks with the variable and the levels', () => {
    assert.equal(logLevelFor('info', {}), 'info');
    assert.equal(logLevelFor('warn', { FRAUDSCORE_LOG_LEVEL: '' }), 'warn');
    assert.equal(logLevelFor('info', { FRAUDSCORE_LOG_LEVEL: 'debug' }), 'debug');
    assert.throws(
      () => logLevelFor('info', { FRAUDSCORE_LOG_LEVEL: 'verbose' }),
      (error: Error) =>
        error.message ===
        'FRAUDSCORE_LOG_LEVEL: "verbose" is not a log level; ' +
          'use one of fatal, error, warn, info, debug, trace or silent (or unset it for info)',
    );
    assert.throws(
      () => logLevelFor('warn', { TEST_LOG_LEVEL: 'loud' }, 'TEST_LOG_LEVEL'),
      /^Error: TEST_LOG_LEVEL: "loud"/,
    );
  });

  it('writes JSON to a destination given without a format (tests, files), secrets redacted', () => {
    const [ready, warn] = logged(undefined).map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(ready?.['msg'], 'pipeline ready');
    assert.equal(ready?.['model'], 'card-fraud@1');
    assert.deepEqual(ready?.['sasl'], '[redacted]');
    assert.equal(warn?.['err'], 'connect ECONNREFUSED 127.0.0.1:16379');
  });

  it('pretty: time, level, name and message on one line, then the same fields, secrets redacted', () => {
    const lines = logged('pretty');
    assert.match(
      lines[0] ?? '',
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(card-payments\): pipeline ready \{"model":"card-fraud@1","metrics":"127\.0\.0\.1:9464","sasl":"\[redacted\]"\}$/,
    );
    assert.match(lines[1] ?? '', /^\[\d\d:\d\d:\d\d\.\d{3}\] WARN \(card-payments\): redis connection error/);
    assert.match(lines[2] ?? '', /^\s+err: "connect ECONNREFUSED 127\.0\.0\.1:16379"$/);
    assert.ok(!lines.join('\n').includes('hunter2'));
    assert.ok(!lines.join('\n').includes('\u001b['), 'no colours when the destination is not a terminal');
  });

  it('pretty on a terminal is coloured', () => {
    assert.ok(logged('pretty', true).join('\n').includes('\u001b['));
  });
});
