import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseTopology, TopologyError } from '../../../src/config/index.js';
import { controlTopicName } from '../../../src/core/control/index.js';

const base = readFileSync('topologies/card-payments.yaml', 'utf8');

function problems(text: string): string[] {
  return problemsWith({}, text);
}

/** The validation problems of `text` (the shipped topology unless given) with `env` for its ${...} variables. */
function problemsWith(env: Record<string, string>, text = base): string[] {
  try {
    parseTopology(text, 't.yaml', env);
    return [];
  } catch (error) {
    assert.ok(error instanceof TopologyError, String(error));
    return [...error.problems];
  }
}

describe('topology redis section', () => {
  it("sizes the worker's feature replica: 64 MiB unless set, and names the field when it is out of range", () => {
    assert.equal(parseTopology(base, 't.yaml', {}).redis.replicaBudgetMiB, 64);
    const withBudget = (value: string) => base.replace(/^( {2}keyPrefix: .*)$/m, `$1\n  replicaBudgetMiB: ${value}`);
    assert.equal(parseTopology(withBudget('256'), 't.yaml', {}).redis.replicaBudgetMiB, 256);
    assert.ok(problems(withBudget('0')).some((p) => p.startsWith('redis.replicaBudgetMiB: at least 1 (MiB)')));
    assert.ok(problems(withBudget('1.5')).some((p) => p.startsWith('redis.replicaBudgetMiB')));
  });

  it('a Redis ACL username needs its password; a password alone is the default user', () => {
    const withRedis = (lines: string) => base.replace(/^( {2}keyPrefix: .*)$/m, `$1\n${lines}`);
    assert.deepEqual(problems(withRedis('  username: fraudscore')), [
      'redis.password: required with redis.username (an ACL user); add password: { env: NAME } or { file: path }, ' +
        'or remove username for Redis without authentication',
    ]);
    assert.deepEqual(problems(withRedis('  password: { env: REDIS_PASSWORD }')), []);
    const both = withRedis('  username: fraudscore\n  password: { env: REDIS_PASSWORD }');
    assert.equal(parseTopology(both, 't.yaml', {}).redis.username, 'fraudscore');
  });
});

describe('topology schemaRegistry section', () => {
  const withRegistry = (url: string) => ({ FRAUDSCORE_REGISTRY_URL: url });
  const registryProblems = (url: string) =>
    problemsWith(withRegistry(url)).filter((p) => p.startsWith('schemaRegistry.url: '));

  it('refuses any scheme but http and https, naming the field, the scheme found and the fix', () => {
    for (const [url, scheme] of [
      ['ftp://registry:21/apis/ccompat/v7', 'ftp'],
      ['redis://127.0.0.1:16379', 'redis'],
      ['file:///etc/passwd', 'file'],
      ['ws://registry:8080/apis/ccompat/v7', 'ws'],
    ] as const) {
      assert.deepEqual(
        registryProblems(url),
        [
          `schemaRegistry.url: an http:// or https:// URL (found ${scheme}:): the schema registry is an HTTP API; ` +
            'set it to the base of its Confluent-compatible API, e.g. http://host:8080/apis/ccompat/v7',
        ],
        url,
      );
    }
  });

  it('refuses http(s) addresses without "//", which fetch would read as another host', () => {
    for (const url of ['http:registry:8080/apis/ccompat/v7', 'http:/\\registry:8080/apis/ccompat/v7', 'not a url']) {
      const found = registryProblems(url);
      assert.equal(found.length, 1, `${url}: ${found.join('; ')}`);
      assert.match(found[0] ?? '', /^schemaRegistry\.url: an http:\/\/ or https:\/\/ URL: .*e\.g\. http:\/\/host:8080/);
    }
  });

  it('accepts http and https registries by name, address or IP', () => {
    for (const url of [
      'http://127.0.0.1:18081/apis/ccompat/v7',
      'https://registry:8443/apis/ccompat/v7',
      'HTTPS://schema-registry.kafka.svc.cluster.local/apis/ccompat/v7',
      'http://[::1]:8081',
    ]) {
      assert.deepEqual(registryProblems(url), [], url);
    }
  });
});

/**
 * The worker tells labels from transactions by their topic, reads input and labels, and registers one schema per
 * output topic: two roles on one topic would turn transactions into labels, loop dead letters back into the input or
 * fail only at the registry, so validation refuses it naming both fields.
 */
describe('topology topics section', () => {
  type Role = 'input' | 'output' | 'labels' | 'deadLetter';
  const shipped = parseTopology(base, 't.yaml', {}).topics;
  /** `text` (the shipped topology unless given) with `later` on the shipped topic of `earlier`. */
  const sharing = (earlier: Role, later: Role, text = base) =>
    text.replace(new RegExp(`^( {2}${later}:) .*$`, 'm'), `$1 ${shipped[earlier]}`);

  const pairs: [Role, Role][] = [
    ['input', 'output'],
    ['input', 'labels'],
    ['input', 'deadLetter'],
    ['output', 'labels'],
    ['output', 'deadLetter'],
    ['labels', 'deadLetter'],
  ];
  for (const [earlier, later] of pairs) {
    it(`refuses ${later} on the topic of ${earlier}, naming both fields, the topic and the fix`, () => {
      const found = problems(sharing(earlier, later));
      assert.deepEqual(
        found,
        [
          `topics.${later}: the same topic as topics.${earlier} (${shipped[earlier]}); ` +
            'each of input, output, labels and deadLetter needs a topic of its own',
        ],
        found.join('\n'),
      );
    });
  }

  it('names every field that repeats an earlier one when all four share a topic', () => {
    const all = (['output', 'labels', 'deadLetter'] as const).reduce(
      (text, role) => sharing('input', role, text),
      base,
    );
    const found = problems(all);
    assert.deepEqual(
      found.map((p) => p.slice(0, p.indexOf(':'))),
      ['topics.output', 'topics.labels', 'topics.deadLetter'],
      found.join('\n'),
    );
    assert.ok(
      found.every((p) => p.includes(`topics.input (${shipped.input})`)),
      found.join('\n'),
    );
  });

  /** `text` (the shipped topology unless given) with `role` on `topic`. */
  const on = (role: Role, topic: string, text = base) =>
    text.replace(new RegExp(`^( {2}${role}:) .*$`, 'm'), `$1 ${topic}`);
  const collision = (role: Role, topic: string, other: string) =>
    `topics.${role}: ${topic} collides with ${other}: Kafka refuses topic names that differ only in "." and "_" ` +
    `(one name in its metrics); rename topics.${role} so the two differ in another character`;

  // Kafka names topics in its metrics with "." as "_", and refuses to create a second topic with the same such name.
  for (const [earlier, later] of pairs) {
    it(`refuses ${later} named like ${earlier} but for "." and "_", naming both fields, both topics and the fix`, () => {
      const topic = `fraud.${later}_topic`;
      const twin = `fraud_${later}.topic`;
      const found = problems(on(later, twin, on(earlier, topic)));
      assert.deepEqual(found, [collision(later, twin, `topics.${earlier} (${topic})`)], found.join('\n'));
    });
  }

  it('accepts names that differ in more than "." and "_"', () => {
    const topics = parseTopology(on('output', 'fraud-scores', on('input', 'fraud.scores')), 't.yaml', {}).topics;
    assert.equal(topics.output, 'fraud-scores');
  });

  const name = parseTopology(base, 't.yaml', {}).name;
  for (const role of ['input', 'output', 'labels', 'deadLetter'] as const) {
    it(`refuses ${role} on the control topic named after the topology, or on a name colliding with it`, () => {
      const control = `${name}.control`;
      const other = `the control topic named after name (${control})`;
      assert.deepEqual(problems(on(role, control)), [
        `topics.${role}: ${other}; rename topics.${role}: control records must have the topic to themselves`,
      ]);
      const twin = `${name}_control`;
      assert.deepEqual(problems(on(role, twin)), [collision(role, twin, other)]);
    });
  }

  it('refuses the names Kafka refuses: "." and "..", longer than 249 characters, other characters', () => {
    const rule = 'a Kafka topic name: 1-249 characters of letters, digits, ".", "_" or "-", other than "." and ".."';
    for (const topic of ['.', '..', 'x'.repeat(250), 'fraud/scores', "''"]) {
      assert.deepEqual(problems(on('output', topic)), [`topics.output: ${rule}`], topic);
    }
    for (const topic of ['...', '.scores', 'x'.repeat(249)]) {
      assert.equal(parseTopology(on('output', topic), 't.yaml', {}).topics.output, topic);
    }
  });
});

/** Kafka keeps topic names beginning "__" for itself (__consumer_offsets, __transaction_state). */
describe("topology topics: Kafka's internal prefix", () => {
  const on = (role: string, topic: string) => base.replace(new RegExp(`^( {2}${role}:) .*$`, 'm'), `$1 ${topic}`);

  for (const role of ['input', 'output', 'labels', 'deadLetter'] as const) {
    it(`refuses ${role} on a name beginning "__", naming the field, the topic and the fix`, () => {
      for (const topic of ['__consumer_offsets', '__transaction_state', '__fraud.scores']) {
        assert.deepEqual(problems(on(role, topic)), [
          `topics.${role}: ${topic} begins with "__", which Kafka keeps for its internal topics ` +
            `(__consumer_offsets, __transaction_state); rename topics.${role} so it does not begin with "__"`,
        ]);
      }
    });
  }

  it('accepts a single leading "_" and "__" inside a name', () => {
    for (const topic of ['_scores', 'fraud__scores', 'fraud.__scores']) {
      assert.equal(parseTopology(on('output', topic), 't.yaml', {}).topics.output, topic);
    }
  });

  it('keeps the control topic named after the topology (<name>.control) off the prefix too', () => {
    const named = (name: string) => base.replace(/^name: .*$/m, `name: ${name}`);
    for (const name of ['__consumer', '_x', '.x']) {
      assert.ok(
        problems(named(name)).some((p) => p.startsWith('name: ')),
        `${name}: ${problems(named(name)).join('; ')}`,
      );
    }
    fc.assert(
      fc.property(
        fc
          .tuple(fc.constantFrom('', '_', '__', '._', '-'), fc.stringMatching(/^[a-z0-9._-]{0,12}$/))
          .map(([start, rest]) => start + rest),
        (name) => {
          let accepted: string;
          try {
            accepted = parseTopology(named(name), 't.yaml', {}).name;
          } catch (error) {
            assert.ok(error instanceof TopologyError, String(error));
            return;
          }
          assert.ok(!controlTopicName(accepted).startsWith('__'), accepted);
        },
      ),
      { numRuns: 300, seed: 20260110 },
    );
  });
});

/** The topology's `contract` section: optional, but validated like the rest when present. */
describe('topology contract section', () => {
  it('loads from the shipped topology', () => {
    const { contract } = parseTopology(base, 't.yaml', {});
    assert.deepEqual(contract?.slo.batchLatencyMs, { p50: 250, p95: 500, p99: 1000 });
    assert.equal(contract?.slo.availability, 0.999);
    assert.ok((contract?.rollbackAuthority.length ?? 0) >= 1);
  });

  it('is optional', () => {
    assert.equal(parseTopology(base.replace(/\ncontract:[\s\S]*$/, '\n'), 't.yaml', {}).contract, undefined);
  });

  it('names the field when percentiles are out of order, availability is 1 or a field is unknown', () => {
    const found = problems(
      base
        .replace('{ p50: 250, p95: 500, p99: 1000 }', '{ p50: 250, p95: 2000, p99: 1000 }')
        .replace('availability: 0.999', 'availability: 1')
        .replace('  errorBudget:', '  owners: x\n  errorBudget:'),
    );
    assert.ok(
      found.some((p) => p.startsWith('contract.slo.batchLatencyMs.p95: p50 <= p95 <= p99')),
      found.join('\n'),
    );
    assert.ok(
      found.some((p) => p.startsWith('contract.slo.availability: below 1')),
      found.join('\n'),
    );
    assert.ok(
      found.some((p) => p.startsWith('contract:') && p.includes('owners')),
      found.join('\n'),
    );
  });
});

describe('topology values that would only fail at run time', () => {
  const withPort = (value: string) => base.replace('port: ${FRAUDSCORE_METRICS_PORT:-9464}', `port: ${value}`);

  it('metrics.port takes an integer or a string of digits, never a value a conversion would make a port of', () => {
    assert.equal(parseTopology(withPort("'9000'"), 't.yaml', {}).metrics.port, 9000);
    assert.equal(parseTopology(base, 't.yaml', { FRAUDSCORE_METRICS_PORT: '0' }).metrics.port, 0);
    assert.deepEqual(problems(withPort('')), [
      'metrics.port: expected a number, found an empty value; give it a value',
    ]);
    assert.deepEqual(problems(withPort("''")), [
      'metrics.port: expected a number, found an empty string; write a number',
    ]);
    assert.deepEqual(problems(withPort('true')), ['metrics.port: expected a number, found true']);
    assert.deepEqual(problems(withPort('[8080]')), ['metrics.port: expected a number, found a list']);
    // (An empty variable is an unset one: the default applies.)
    assert.deepEqual(problemsWith({ FRAUDSCORE_METRICS_PORT: ' ' }), [
      'metrics.port: expected a number, found an empty string (from ${FRAUDSCORE_METRICS_PORT}); ' +
        'set FRAUDSCORE_METRICS_PORT to a number (or unset it for the default)',
    ]);
  });

  it('a broker port is 1..65535; spaces around the commas of a broker list are not part of an address', () => {
    for (const brokers of ['host:99999', 'host:0']) {
      assert.deepEqual(problemsWith({ FRAUDSCORE_KAFKA_BROKERS: brokers }), [
        'kafka.brokers.0: the port must be 1..65535, e.g. 127.0.0.1:9092',
      ]);
    }
    const spaced = parseTopology(base, 't.yaml', { FRAUDSCORE_KAFKA_BROKERS: 'h1:9092, h2:65535' });
    assert.deepEqual(spaced.kafka.brokers, ['h1:9092', 'h2:65535']);
  });

  it('consumerGroup, kafka.clientId and model.version must not be blank', () => {
    const blank = base
      .replace(/^consumerGroup: .*$/m, "consumerGroup: ' '")
      .replace(/^( {2}clientId: ).*$/m, "$1' '")
      .replace(/^( {2}version: ).*$/m, "$1'  '");
    assert.deepEqual(problems(blank), [
      'kafka.clientId: must not be empty; give it a value',
      'consumerGroup: must not be empty; give it a value',
      'model.version: must not be empty; give it a value',
    ]);
  });

  it('a registry username and password come together', () => {
    const withRegistry = (lines: string) => base.replace(/^( {2}manageSubjects:)/m, `${lines}\n$1`);
    assert.deepEqual(problems(withRegistry('  username: fraudscore')), [
      'schemaRegistry.password: required with schemaRegistry.username; add password: { env: NAME } or ' +
        '{ file: path }, or remove username for a registry without authentication',
    ]);
    assert.deepEqual(problems(withRegistry('  password: { env: REGISTRY_PASSWORD }')), [
      'schemaRegistry.username: required with schemaRegistry.password; add the username, or remove password',
    ]);
    const both = withRegistry('  username: fraudscore\n  password: { env: REGISTRY_PASSWORD }');
    assert.equal(parseTopology(both, 't.yaml', {}).schemaRegistry.username, 'fraudscore');
  });
});

describe('topology kafka.sasl: plain sends the password itself', () => {
  const withKafka = (lines: string) =>
    base.replace('  clientId: fraudscore-card-payments', `  clientId: fraudscore-card-payments\n${lines}`);
  const sasl = (mechanism: string, extra = '') =>
    `  sasl: { mechanism: ${mechanism}, username: svc, password: { env: KAFKA_PW }${extra} }`;

  it('refuses plain without kafka.ssl, naming the field and the ways out', () => {
    assert.deepEqual(problems(withKafka(sasl('plain'))), [
      'kafka.sasl.mechanism: plain without kafka.ssl sends the password in clear text; add kafka.ssl (TLS), or use ' +
        'scram-sha-512, or set kafka.sasl.allowPlainWithoutTls: true where the network to the brokers is trusted ' +
        'end to end',
    ]);
  });

  it('takes plain over TLS, plain said to be on a trusted network, and SCRAM without TLS', () => {
    for (const lines of [
      `  ssl: {}\n${sasl('plain')}`,
      sasl('plain', ', allowPlainWithoutTls: true'),
      sasl('scram-sha-512'),
    ]) {
      assert.deepEqual(problems(withKafka(lines)), [], lines);
    }
  });
});
