import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readLastDrill, withServingStateUnknown } from '../../../../src/cli/commands/docs.js';
import { fraudscore } from '../../../support/cli.js';

describe('fraudscore docs runbook --drill', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudscore-docs-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('quotes the drill of record', () => {
    const drill = readLastDrill('docs/drills/rollback-drill.json', false);
    assert.equal(drill?.ok, true);
    assert.ok(drill.workers.length > 0);
  });

  it('has no drill to quote at a default path with no file, but refuses a file given that is not there', () => {
    const missing = join(dir, 'none.json');
    assert.equal(readLastDrill(missing, false), null);
    assert.throws(() => readLastDrill(missing, true), { message: `--drill: no file at ${missing}` });
  });

  it('names a file that is not JSON, or not a drill record, instead of failing inside the renderer', () => {
    const broken = write('broken.json', '{"at": "2026-12-03T20:41:54.538Z",');
    assert.throws(
      () => readLastDrill(broken, true),
      (error: Error) =>
        error.message.startsWith(`--drill: ${broken} is not valid JSON (`) &&
        error.message.endsWith('); run `node dist/load-tests/rollback-drill.js` against the stack to write one'),
    );
    const other = write('other.json', '{"at": "2026-12-03T20:41:54.538Z", "ok": true}');
    assert.throws(
      () => readLastDrill(other, true),
      /^Error: --drill: \S+other\.json is not a drill record \(fullEffectMs: /,
    );
  });

  it('is read before anything connects', () => {
    const broken = write('early.json', 'not json');
    const { status, stderr } = fraudscore(
      ['docs', 'runbook', '-t', 'topologies/card-payments.yaml', '--drill', broken],
      {
        env: { FRAUDSCORE_KAFKA_BROKERS: '127.0.0.1:1' },
      },
    );
    assert.equal(status, 1, stderr);
    assert.match(stderr, new RegExp(`^fraudscore: --drill: ${broken} is not valid JSON \\(`));
    assert.doesNotMatch(stderr, /cannot connect/);
  });
});

describe('fraudscore docs runbook without a way to Kafka', () => {
  it('prints the playbooks with the serving state UNKNOWN when the Kafka client cannot even be set up here', () => {
    // The secured topology's CA file exists only in the pod: an operator's machine has none.
    const { status, stdout, stderr } = fraudscore(['docs', 'runbook', '-t', 'topologies/card-payments-secured.yaml'], {
      env: {
        FRAUDSCORE_KAFKA_BROKERS: '127.0.0.1:1',
        FRAUDSCORE_REGISTRY_URL: 'https://127.0.0.1:1/apis/ccompat/v7',
        FRAUDSCORE_REDIS_URL: 'rediss://127.0.0.1:1',
      },
    });
    assert.equal(status, 0, stderr);
    assert.match(stderr, /^fraudscore: serving state unknown in the runbook: kafka\.ssl\.caFile: cannot read /);
    assert.match(stdout, /Serving state UNKNOWN: the control topic could not be read \(kafka\.ssl\.caFile: /);
    assert.match(stdout, /fraudscore kill-switch on /);
  });
});

describe('fraudscore docs: both documents', () => {
  it('write --out into a directory made for it, and refuse a directory as --out, naming the flag', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fraudscore-docs-out-'));
    try {
      const out = join(dir, 'new', 'contract.md');
      const made = fraudscore(['docs', 'contract', '-t', 'topologies/card-payments.yaml', '--out', out]);
      assert.equal(made.status, 0, made.output);
      assert.match(readFileSync(out, 'utf8'), /^# /);
      const refused = fraudscore(['docs', 'contract', '-t', 'topologies/card-payments.yaml', '--out', dir]);
      assert.equal(refused.status, 1);
      assert.equal(refused.stderr, `fraudscore: --out ${dir}: is a directory; name the file to write in it\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('take -o as well as --out', () => {
    for (const document of ['contract', 'runbook']) {
      const { status, stdout } = fraudscore(['docs', document, '--help']);
      assert.equal(status, 0, stdout);
      assert.match(stdout, /^ {2}-o, --out <file>/m, document);
    }
  });
});

describe('fraudscore docs runbook without Kafka', () => {
  it('prints the runbook with the serving state marked unknown, and says why', () => {
    const { status, stdout, stderr } = fraudscore(['docs', 'runbook', '-t', 'topologies/card-payments.yaml'], {
      env: { FRAUDSCORE_KAFKA_BROKERS: '127.0.0.1:1' },
    });
    assert.equal(status, 0, stderr);
    assert.match(stdout, /^# Runbook: card-payments$/m);
    // kafkajs calls a closed port unreachable after its connection retries, 8-15 s, so the time limit may come first.
    const why = '(kafka\\.brokers: cannot connect|the control topic: no answer within 10 s)';
    assert.match(stdout, new RegExp(`^- Serving state UNKNOWN: the control topic could not be read \\(${why}`, 'm'));
    assert.match(
      stdout,
      /^- The topology's model, which serves unless the control topic says otherwise: `card-fraud@5`$/m,
    );
    assert.doesNotMatch(stdout, /^- Champion: /m, 'no champion stated as if known');
    assert.match(stdout, /^## Stop a bad model now$/m, 'the rest of the runbook is there');
    assert.match(stderr, new RegExp(`^fraudscore: serving state unknown in the runbook: ${why}`));
  });

  it('replaces the serving section only, or puts the note first when there is none', () => {
    const runbook = ['# R', '', '## What serves now', '', '- Champion: `a@1`', '', '## Next', 'text'].join('\n');
    assert.equal(
      withServingStateUnknown(runbook, 'down', 't.yaml', 'a@1'),
      [
        '# R',
        '',
        '## What serves now',
        '',
        '- Serving state UNKNOWN: the control topic could not be read (down). Champion, challenger and kill switch ' +
          'target are not known; once Kafka is reachable: `fraudscore control status -t t.yaml`.',
        "- The topology's model, which serves unless the control topic says otherwise: `a@1`",
        '',
        '## Next',
        'text',
      ].join('\n'),
    );
    assert.match(withServingStateUnknown('# R', 'down', 't.yaml', 'a@1'), /^- Serving state UNKNOWN: .*\n.*\n\n# R$/);
  });
});
