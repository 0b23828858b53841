import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkId, MAX_ID_LENGTH } from '../../../src/core/contract/ids.js';
import { contractPromises, readContractInputs, renderContract, type AvroRecord } from '../../../src/docs/index.js';

const TOPOLOGY = 'topologies/card-payments.yaml';
const inputs = readContractInputs(TOPOLOGY);
const rendered = renderContract(inputs);

/** docs/contract.md: rendered from the topology's contract, the Avro schemas and the dead-letter vocabulary. */
describe('interface contract document', () => {
  it('is committed as rendered (else: fraudscore docs contract --topology topologies/card-payments.yaml --out docs/contract.md)', () => {
    assert.equal(readFileSync('docs/contract.md', 'utf8'), rendered);
  });

  it('shows every field of every schema, every dead-letter reason and every score reason code', () => {
    for (const schema of Object.values(inputs.schemas)) {
      for (const field of schema.fields) assert.ok(rendered.includes(`| \`${field.name}\` |`), field.name);
    }
    for (const reason of [...inputs.deadLetterReasons, ...inputs.scoreReasonCodes]) {
      assert.ok(rendered.includes(`| \`${reason}\` |`), reason);
    }
    assert.ok(!rendered.includes('(not yet described)'), 'every entry of the vocabularies has its meaning');
    assert.match(rendered, /\| `amount` \| double \| required \|/);
    assert.match(rendered, /\| `channel` \| string or null \| optional, default `null` \|/);
  });

  it('states, on every id field, the rule checkId enforces: its length and its characters', () => {
    const rule = `1..${MAX_ID_LENGTH} printable ASCII characters without spaces (0x21-0x7E)`;
    // The rule as checkId holds it: change either and this fails until the other and the schemas' docs agree.
    const accepts = (id: string) => typeof checkId({ id }, 'id') === 'string';
    assert.ok(accepts('!') && accepts('~') && accepts('x'.repeat(MAX_ID_LENGTH)));
    for (const refused of ['', 'a b', 'tab\tid', 'caf\u00e9', '\u007f', 'x'.repeat(MAX_ID_LENGTH + 1)])
      assert.ok(!accepts(refused), JSON.stringify(refused));
    const docOf = (schema: AvroRecord, field: string) => schema.fields.find((f) => f.name === field)?.doc ?? '';
    for (const field of ['transaction_id', 'customer_id', 'terminal_id'])
      assert.ok(docOf(inputs.schemas.transaction, field).includes(rule), `transaction ${field}: ${rule}`);
    assert.ok(docOf(inputs.schemas.label, 'transaction_id').includes(rule), `label transaction_id: ${rule}`);
  });

  it('states SLOs, error budget, ownership and rollback authority from the topology', () => {
    const { contract } = inputs;
    assert.ok(rendered.includes(`≤ ${contract.slo.batchLatencyMs.p99} ms`));
    assert.ok(rendered.includes(`${contract.slo.throughputRecordsPerSecond} records/s`));
    assert.ok(rendered.includes('99.9 % of batch attempts commit'));
    assert.ok(rendered.includes(`rolling ${contract.errorBudget.windowDays} days`));
    assert.ok(rendered.includes('about 43.2 min of failing batches'), '0.1 % of 30 days');
    assert.ok(rendered.includes(contract.owner.team) && rendered.includes(contract.onCall.rotation));
    for (const who of contract.rollbackAuthority) assert.ok(rendered.includes(who), who);
  });

  it('names only tests that exist as proofs', () => {
    const missing = contractPromises(inputs.contract).flatMap((p) => p.provenBy.filter((file) => !existsSync(file)));
    assert.deepEqual(missing, []);
  });

  it('flags a vocabulary entry that has no description instead of leaving it out', () => {
    const text = renderContract({
      ...inputs,
      deadLetterReasons: [...inputs.deadLetterReasons, 'SOME_FUTURE_REASON'],
    });
    assert.ok(text.includes('| `SOME_FUTURE_REASON` | (not yet described) |'));
  });

  it('refuses a topology without a contract section, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fraudscore-contract-'));
    try {
      const file = join(dir, 't.yaml');
      writeFileSync(file, readFileSync(TOPOLOGY, 'utf8').replace(/\ncontract:[\s\S]*$/, '\n'));
      assert.throws(() => readContractInputs(file), /no contract section; add one/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the contract of a topology that requires environment variables (the secured one)', () => {
  const SECURED = 'topologies/card-payments-secured.yaml';
  // What deploy/k8s/secured sets; the topology has no default for them.
  const env = {
    FRAUDSCORE_KAFKA_BROKERS: 'kafka-0.kafka:9093',
    FRAUDSCORE_REGISTRY_URL: 'https://schema-registry:8443/apis/ccompat/v7',
    FRAUDSCORE_REDIS_URL: 'rediss://redis:6379',
  };

  it('`fraudscore docs contract` renders it with the environment set, as every command reads the topology', () => {
    const result = spawnSync(process.execPath, ['dist/src/cli/main.js', 'docs', 'contract', '-t', SECURED], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '', ...env },
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^# Interface contract: card-payments$/m);
    assert.equal(result.stdout, renderContract(readContractInputs(SECURED, env)));
  });

  it('without the environment, names the variable to set', () => {
    assert.throws(() => readContractInputs(SECURED, {}), /FRAUDSCORE_KAFKA_BROKERS is not set and has no default/);
  });
});
