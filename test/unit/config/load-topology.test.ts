import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadTopology, parseTopology, TopologyError } from '../../../src/config/index.js';

const base = readFileSync('topologies/card-payments.yaml', 'utf8');

function problems(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseTopology(text, 't.yaml', env);
    return [];
  } catch (error) {
    assert.ok(error instanceof TopologyError, String(error));
    return [...error.problems];
  }
}

describe('topology loading', () => {
  it('loads the shipped topology with defaults and freezes it', () => {
    const topology = parseTopology(base, 't.yaml', {});
    assert.deepEqual(topology.kafka.brokers, ['127.0.0.1:19092']);
    assert.equal(topology.metrics.port, 9464);
    assert.equal(topology.batch.maxRecords, 1000);
    assert.ok(Object.isFrozen(topology.batch));
  });

  it('applies environment overrides, splitting a broker list', () => {
    const topology = parseTopology(base, 't.yaml', {
      FRAUDSCORE_KAFKA_BROKERS: 'a:1,b:2',
      FRAUDSCORE_METRICS_PORT: '9999',
    });
    assert.deepEqual(topology.kafka.brokers, ['a:1', 'b:2']);
    assert.equal(topology.metrics.port, 9999);
  });

  it('reports every unset ${VAR} at once, each with its field, in the paths the other messages use', () => {
    const text = base
      .replace(/^name: .*$/m, 'name: ${TOPOLOGY_NAME}')
      .replace(/brokers: .*/, "brokers: ['${KAFKA_HOST}:${KAFKA_PORT}']")
      .replace(/^consumerGroup: .*$/m, 'consumerGroup: ${TOPOLOGY_NAME}-workers');
    const unset = (field: string, variable: string) =>
      `${field}: environment variable ${variable} is not set and has no default; set it or write \${${variable}:-value}`;
    assert.deepEqual(problems(text, { KAFKA_PORT: '' }), [
      unset('name', 'TOPOLOGY_NAME'),
      unset('kafka.brokers.0', 'KAFKA_HOST'),
      unset('kafka.brokers.0', 'KAFKA_PORT'),
      unset('consumerGroup', 'TOPOLOGY_NAME'),
    ]);
    const set = parseTopology(text, 't.yaml', { TOPOLOGY_NAME: 'cards', KAFKA_HOST: 'k', KAFKA_PORT: '9092' });
    assert.deepEqual([set.name, set.kafka.brokers, set.consumerGroup], ['cards', ['k:9092'], 'cards-workers']);
  });

  it('names the field and the limit when the batch window is out of range', () => {
    const found = problems(
      base.replace('maxWaitMs: 2000', 'maxWaitMs: 60000').replace('maxRecords: 1000', 'maxRecords: 5'),
    );
    assert.ok(
      found.some((p) => p.startsWith('batch.maxWaitMs:') && p.includes('30000')),
      found.join('\n'),
    );
    assert.ok(
      found.some((p) => p.startsWith('batch.maxRecords:') && p.includes('100')),
      found.join('\n'),
    );
  });

  it('refuses a label delay of 0 days, naming the field (the feature set needs d >= 1 day)', () => {
    const found = problems(base.replace(/labelDelayDays: \d+/, 'labelDelayDays: 0'));
    assert.ok(
      found.some((p) => p.startsWith('features.labelDelayDays:') && p.includes('at least 1 day')),
      found.join('\n'),
    );
  });

  it('rejects unknown fields with a hint', () => {
    const found = problems(base.replace('consumerGroup:', 'consumerGrop: x\nconsumerGroup:'));
    assert.ok(
      found.some((p) => p.includes('consumerGrop') && p.includes('spelling')),
      found.join('\n'),
    );
  });

  it('reports a missing required field', () => {
    const found = problems(base.replace(/^consumerGroup:.*$/m, ''));
    assert.ok(
      found.some((p) => p.startsWith('consumerGroup: required')),
      found.join('\n'),
    );
  });

  it('tells a value of the wrong type from a missing field: what was found, what is expected, the fix', () => {
    const cases: [string, Record<string, string>, string][] = [
      [
        base.replace(/brokers: .*/, 'brokers: 127.0.0.1:19092'),
        {},
        'kafka.brokers: expected a list, found a string; write a list, e.g. [first, second], or one "- " line per entry',
      ],
      [
        base.replace('maxRecords: 1000', 'maxRecords: "lots"'),
        {},
        'batch.maxRecords: expected a number, found a string',
      ],
      [
        base.replace('maxRecords: 1000', 'maxRecords: "1000"'),
        {},
        'batch.maxRecords: expected a number, found a string holding a number; remove the quotes',
      ],
      [
        base.replace('labelDelayDays: 7', 'labelDelayDays: 7.5'),
        {},
        'features.labelDelayDays: expected a whole number, found a number with a fraction',
      ],
      [
        base.replace(/^consumerGroup:.*$/m, 'consumerGroup:'),
        {},
        'consumerGroup: expected a string, found an empty value; give it a value',
      ],
      [
        base.replace('version: champion', 'version: 3'),
        {},
        'model.version: expected a string, found a whole number; put it in quotes',
      ],
    ];
    for (const [text, env, expected] of cases) assert.deepEqual(problems(text, env), [expected]);
  });

  it('says a secret field takes { env: NAME } or { file: path }, never repeating the secret written there', () => {
    const secret = 'S3cretPw';
    const text = base.replace(
      '  clientId: fraudscore-card-payments',
      `  clientId: fraudscore-card-payments\n  sasl:\n    mechanism: plain\n    username: svc\n    password: ${secret}`,
    );
    assert.deepEqual(problems(text), [
      'kafka.sasl.password: expected { env: NAME } or { file: path }, found a string; ' +
        'name the environment variable or the file that holds the secret, never the secret itself',
    ]);
    const missing = problems(text.replace(`    password: ${secret}\n`, ''));
    assert.deepEqual(missing, [
      'kafka.sasl.password: required field is missing; add it (expected { env: NAME } or { file: path })',
    ]);
  });

  it('names a missing number field as missing, and a number out of range with what it must be', () => {
    // metrics.port converts its value (a placeholder gives a string): absent, it must not read as "not finite".
    assert.deepEqual(problems(base.replace('  port: ${FRAUDSCORE_METRICS_PORT:-9464}\n', '')), [
      'metrics.port: required field is missing; add it (expected a number)',
    ]);
    assert.deepEqual(problems(base.replace(/^ {2}minRecords: 100$/m, '  minRecords: 0')), [
      'batch.minRecords: must be at least 1; raise it',
    ]);
    assert.ok(
      problems(base.replace('labelDelayDays: 7', 'labelDelayDays: 91')).includes(
        'features.labelDelayDays: must be at most 90; lower it',
      ),
    );
  });

  it('says a ${VAR} placeholder gives a string: a number field converts it or needs the number itself', () => {
    // metrics.port converts the variable's value: the variable is what is wrong.
    assert.deepEqual(problems(base, { FRAUDSCORE_METRICS_PORT: 'abc' }), [
      'metrics.port: expected a number, found a string (from ${FRAUDSCORE_METRICS_PORT}); ' +
        'set FRAUDSCORE_METRICS_PORT to a number (or unset it for the default)',
    ]);
    // batch.maxRecords does not: even a variable holding a number arrives as a string.
    const placeholder = base.replace('maxRecords: 1000', 'maxRecords: ${BATCH_MAX:-1000}');
    for (const env of [{}, { BATCH_MAX: '500' }] as Record<string, string>[]) {
      assert.deepEqual(problems(placeholder, env), [
        'batch.maxRecords: expected a number, found a string holding a number (from ${BATCH_MAX}); ' +
          'a ${...} placeholder always gives a string, and this field does not convert it: write the number itself',
      ]);
    }
    assert.deepEqual(problems(base.replace(/brokers: .*/, 'brokers: ${FRAUDSCORE_KAFKA_BROKERS:-127.0.0.1:19092}')), [
      'kafka.brokers: expected a list, found a string (from ${FRAUDSCORE_KAFKA_BROKERS}); a ${...} placeholder always ' +
        "gives a string, and this field does not convert it: write it inside a list, e.g. ['${FRAUDSCORE_KAFKA_BROKERS}']",
    ]);
  });

  it('says why a topology file cannot be read, with the path resolved and the fix, not an errno code', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fraudscore-topology-'));
    const unreadable = (file: string): string[] => {
      try {
        loadTopology(file, {});
        return [];
      } catch (error) {
        assert.ok(error instanceof TopologyError, String(error));
        return [...error.problems];
      }
    };
    try {
      assert.deepEqual(unreadable(join(dir, 'nope.yaml')), [
        `no such file: ${join(dir, 'nope.yaml')}; pass the path of a topology YAML file (topologies/ holds the shipped ones)`,
      ]);
      assert.deepEqual(unreadable('topologies/nope.yaml'), [
        `no such file: ${join(process.cwd(), 'topologies/nope.yaml')} (topologies/nope.yaml, relative to the working ` +
          `directory ${process.cwd()}); pass the path of a topology YAML file (topologies/ holds the shipped ones)`,
      ]);
      assert.deepEqual(unreadable(dir), [`a directory, not a file: ${dir}; pass the topology YAML file in it`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says a topology is a YAML mapping when the file is empty or holds something else', () => {
    const shape =
      'a topology is a YAML mapping of its sections (name:, kafka:, topics:, ...); ' +
      'see topologies/card-payments.yaml or `fraudscore topology schema`';
    assert.deepEqual(problems(''), [`the file is empty; ${shape}`]);
    assert.deepEqual(problems('# only a comment\n'), [`the file is empty; ${shape}`]);
    assert.deepEqual(problems('- name: card-payments\n'), [`the file holds a list, not a mapping; ${shape}`]);
    assert.deepEqual(problems('card-payments\n'), [`the file holds a string, not a mapping; ${shape}`]);
  });

  it('refuses every inline credential in Kafka, registry and Redis addresses, naming the field, never the secret', () => {
    const secret = 'S3cr3t-from-env';
    const cases: [Record<string, string>, string][] = [
      [{ FRAUDSCORE_REDIS_URL: `redis://user:${secret}@127.0.0.1:16379` }, 'redis.url'],
      [{ FRAUDSCORE_REDIS_URL: `redis://127.0.0.1:16379/?password=${secret}` }, 'redis.url'],
      [{ FRAUDSCORE_REDIS_URL: `rediss://127.0.0.1:16379/0?db=0&username=u&password=${secret}` }, 'redis.url'],
      [{ FRAUDSCORE_REGISTRY_URL: `https://svc:${secret}@sr:8443/apis/ccompat/v7` }, 'schemaRegistry.url'],
      [{ FRAUDSCORE_REGISTRY_URL: `https://sr:8443/apis/ccompat/v7?password=${secret}` }, 'schemaRegistry.url'],
      // A backslash is a slash to URL parsing (fetch, the registry client): user and password all the same.
      [{ FRAUDSCORE_REGISTRY_URL: `http:/\\svc:${secret}@127.0.0.1:1/apis/ccompat/v7` }, 'schemaRegistry.url'],
      [{ FRAUDSCORE_REGISTRY_URL: ` https://svc:${secret}@sr:8443/apis/ccompat/v7` }, 'schemaRegistry.url'],
      [{ FRAUDSCORE_KAFKA_BROKERS: `b0:9093,svc:${secret}@b1:9093` }, 'kafka.brokers.1'],
      [{ FRAUDSCORE_KAFKA_BROKERS: `svc@b0:9093` }, 'kafka.brokers.0'],
    ];
    for (const [env, field] of cases) {
      const found = problems(base, env);
      const mine = found.filter((p) => p.startsWith(`${field}: no credentials in the address`));
      assert.equal(mine.length, 1, `${JSON.stringify(env)}:\n${found.join('\n')}`);
      assert.match(mine[0] ?? '', /password: \{ env: NAME \}/);
      assert.ok(!found.join('\n').includes(secret), found.join('\n'));
    }
  });

  it('accepts rediss:// and harmless Redis URL parameters', () => {
    const topology = parseTopology(base, 't.yaml', { FRAUDSCORE_REDIS_URL: 'rediss://redis:6379/0?db=0' });
    assert.equal(topology.redis.url, 'rediss://redis:6379/0?db=0');
  });

  it('validates the rollout plan, step and gates, naming each field', () => {
    const found = problems(
      base
        .replace('plan: [1, 5, 25, 50, 100]', 'plan: [5, 1, 50]')
        .replace('stepMs: 1800000', 'stepMs: -1')
        .replace('maxScorePsi: 0.25', 'maxScorePsi: 0')
        .replace('aucMargin: 0.01', 'aucMargin: 2')
        .replace('minLabelled: 500', 'minLabelled: 0.5'),
    );
    for (const field of ['plan', 'stepMs', 'gates.maxScorePsi', 'gates.aucMargin', 'gates.minLabelled']) {
      assert.ok(
        found.some((p) => p.startsWith(`rollout.${field}:`)),
        `rollout.${field} not named in ${found.join(' | ')}`,
      );
    }
    assert.ok(found.some((p) => p.includes('increasing percentages ending at 100')));
    const defaults = parseTopology(base.replace(/\nrollout:[\s\S]*?\n(?=\S)/, '\n'), 't.yaml', {}).rollout;
    assert.deepEqual(defaults.gates, {
      minRecords: 1000,
      maxAlertRateDelta: 0.005,
      maxScorePsi: 0.25,
      aucMargin: 0.01,
      minLabelled: 500,
    });
    assert.deepEqual(defaults.plan, [1, 5, 25, 50, 100]);
  });

  it('refuses a rollout stage shorter than a minute, naming the field and the fix; a minute is enough', () => {
    for (const stepMs of [0, 59_999]) {
      assert.deepEqual(problems(base.replace('stepMs: 1800000', `stepMs: ${stepMs}`)), [
        `rollout.stepMs: a stage must last at least 1 min (60000 ms) for its gates to judge traffic served by every ` +
          `worker, not ${stepMs} ms; set it to 60000 (1 min) or more, e.g. 1800000 (30 min)`,
      ]);
    }
    assert.equal(parseTopology(base.replace('stepMs: 1800000', 'stepMs: 60000'), 't.yaml', {}).rollout.stepMs, 60_000);
  });

  it('enforces reviewAt <= blockAt', () => {
    const found = problems(base.replace('reviewAt: 0.05', 'reviewAt: 0.95'));
    assert.ok(
      found.some((p) => p.startsWith('decision.reviewAt:')),
      found.join('\n'),
    );
  });

  it('reports invalid YAML plainly', () => {
    assert.match(problems('a: [1, 2')[0] ?? '', /not valid YAML/);
  });

  it('places a YAML syntax error by line and column, never repeating the line: it may hold a secret', () => {
    const secret = 'S3cretPw';
    const misindented = base
      .replace(/url: \$\{FRAUDSCORE_REDIS_URL.*/, `url: redis://admin:${secret}@127.0.0.1:16379`)
      .replace("  keyPrefix: 'fs:card-payments:'", "     keyPrefix: 'fs:card-payments:'");
    const line = misindented.split('\n').findIndex((text) => text.includes(secret)) + 1;
    assert.deepEqual(problems(misindented), [
      `not valid YAML at line ${line}, column 8: Nested mappings are not allowed in compact mappings ` +
        '(the line is not repeated here: it may hold a secret)',
    ]);
    // yaml messages that quote the file lose the quote too.
    for (const text of [`password: *${secret}\n`, `password: |${secret}\n  x\n`, `password: "\\u${secret}"\n`]) {
      const found = problems(text);
      assert.match(found[0] ?? '', /^not valid YAML/);
      assert.ok(!found.join('\n').includes(secret.slice(0, 4)), found.join('\n'));
    }
  });
});
