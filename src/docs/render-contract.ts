import type { Contract, Topology } from '../config/index.js';
import { NEEDED_COMPATIBILITY } from '../core/contract/compatibility.js';
import { MAX_ID_LENGTH } from '../core/contract/ids.js';
import { fieldTable, type AvroRecord } from './avro-fields.js';

export interface ContractInputs {
  /** As the reader should type it, e.g. topologies/card-payments.yaml. */
  readonly topologyFile: string;
  readonly topology: Pick<Topology, 'name' | 'topics' | 'consumerGroup' | 'batch' | 'decision'>;
  readonly contract: Contract;
  readonly schemas: {
    readonly transaction: AvroRecord;
    readonly label: AvroRecord;
    readonly score: AvroRecord;
    readonly deadLetter: AvroRecord;
  };
  /** The closed vocabularies of src/core/contract/reasons.ts, in declaration order. */
  readonly deadLetterReasons: readonly string[];
  readonly scoreReasonCodes: readonly string[];
}

/**
 * When each dead-letter reason is given (docs/guarantees-input.md has the order of the checks). A reason added to the
 * vocabulary without a line here is still listed, flagged, so the document never hides part of the vocabulary.
 */
const DEAD_LETTER_MEANING: Readonly<Record<string, string>> = {
  MISSING_VALUE: 'the record has no value (null or empty)',
  NOT_WIRE_FORMAT: 'fewer than 5 bytes, or the first byte is not the magic byte 0 (JSON, a foreign serializer)',
  UNKNOWN_SCHEMA_ID:
    'the registry does not know the schema id (its 404 with error_code 40403; any other 404 retries the batch; ' +
    'asked again at most every 10 s: an id registered late is read within 10 s; records dead-lettered meanwhile ' +
    'must be sent again)',
  UNDECODABLE_BODY:
    'the Avro body does not match its writer schema (truncated, trailing bytes, lengths beyond the record)',
  WRONG_SCHEMA:
    "the writer schema cannot be read as the topic's contract schema (another subject's, a changed field type, a " +
    'non-record schema, a JSON Schema or Protobuf schema id), or ' +
    'cannot be read at all (a schema the registry accepted that Avro refuses, such as a union default not of its first branch)',
  OVERSIZED_RECORD:
    'the value or the key is larger than 64 KiB; not decoded, not copied into the dead letter (nor the key into its key)',
  // The id rule of src/core/contract/ids.ts (checkId), for a transaction's three ids and a label's transaction_id.
  INVALID_FIELD:
    "an id (`transaction_id`, `customer_id`, `terminal_id`; a label's `transaction_id`) empty, over " +
    `${MAX_ID_LENGTH} characters or not printable ASCII without spaces (0x21-0x7E); a currency not three ` +
    "upper-case letters; a label's `is_fraud` not a boolean",
  ABSURD_TIMESTAMP:
    "`event_time` before 2000 or more than 24 h ahead of the worker's clock; a `reported_at` negative or more than " +
    '24 h ahead of it',
  INVALID_AMOUNT: '`amount` NaN, ±Infinity, negative or above 1,000,000,000',
  DUPLICATE_TRANSACTION:
    "the `transaction_id` was already scored within the feature set's duplicate horizon (1 day); the detail names the partition and offset of the record scored with it, whose score stands (a record dead-lettered earlier holds no id: sent again corrected, it is scored); the feature state is untouched",
};

const SCORE_CODE_MEANING: Readonly<Record<string, string>> = {
  FEATURE_IMPUTED: '`FEATURE_IMPUTED:<feature>`: the feature had no value and carries its declared default',
  MODEL_OUTPUT_NON_FINITE: 'the model returned NaN or ±Infinity: the fallback score is published instead',
  MODEL_OUTPUT_OUT_OF_RANGE: 'the model returned a value outside [0, 1]: the fallback score is published instead',
  KILL_SWITCH_FALLBACK: 'the kill switch is on: the rollback target decided (the model named on the record)',
  CHALLENGER_FAILED:
    '`CHALLENGER_FAILED:<why>`: the challenger errored, timed out or gave a non-finite score; the champion decided, and the failure is counted in `fraudscore_challenger_failures_total`',
};

/** Each promise, how it is kept, and the tests that prove it (a unit test checks that every file named exists). */
export interface ContractPromise {
  readonly promise: string;
  readonly how: string;
  readonly provenBy: readonly string[];
}

export function contractPromises(contract: Contract): ContractPromise[] {
  const { slo } = contract;
  return [
    {
      promise: 'every consumed record gets exactly one outcome: a score or a dead letter',
      how: 'per-record outcomes; outputs and input offsets in one Kafka transaction; read read_committed',
      provenBy: ['test/integration/runtime/pipeline.test.ts', 'test/integration/contract/fuzz.test.ts'],
    },
    {
      promise: 'bad input gets a dead letter with a reason from the closed vocabulary, never a crash or a stall',
      how: 'decode and validation return a reason; only infrastructure failures retry a batch',
      provenBy: ['test/integration/contract/fuzz.test.ts', 'test/unit/core/contract/validate-transaction.test.ts'],
    },
    {
      promise:
        'upstream may add fields and remove fields with defaults; a version the contract cannot read is refused (409)',
      how:
        `the worker reads every record with the contract as the reader schema, so it needs ` +
        `${NEEDED_COMPATIBILITY.read} on the subjects it reads (every version readable by every older one, the ` +
        `contract among them) and ${NEEDED_COMPATIBILITY.written} on those it writes; it raises a weaker level on ` +
        `subjects it manages and refuses to start otherwise; versions registered before the level could check them ` +
        `that the contract cannot read are named at start-up and when registered later (a warning each, ` +
        `fraudscore_unreadable_schema_versions, FraudscoreUnreadableSchemaVersions)`,
      provenBy: [
        'test/integration/contract/schema-evolution.test.ts',
        'test/integration/contract/unreadable-versions.test.ts',
        'test/unit/adapters/registry/subjects.test.ts',
        'test/unit/adapters/registry/version-readability.test.ts',
        'test/unit/runtime/schema-version-watch.test.ts',
      ],
    },
    {
      promise: 'a published score is finite and in [0, 1]; features are always finite',
      how: 'unusable model output gets the fallback score and a reason code; missing features their declared default',
      provenBy: [
        'test/integration/contract/model-output.test.ts',
        'test/integration/contract/imputed-features.test.ts',
        'test/unit/core/scoring/decide.test.ts',
      ],
    },
    {
      promise: 'a crashed worker loses and duplicates nothing',
      how: 'offsets commit only inside the output transaction; a restart fences the previous transactional id',
      provenBy: ['test/integration/runtime/crash-restart.test.ts', 'test/fault/kill.test.ts'],
    },
    {
      promise: `batch latency p50 ≤ ${slo.batchLatencyMs.p50} ms, p95 ≤ ${slo.batchLatencyMs.p95} ms, p99 ≤ ${slo.batchLatencyMs.p99} ms`,
      how: 'measured by fraudscore_batch_latency_ms; burn-rate alert FraudscoreBatchLatencyBudgetBurn',
      provenBy: ['load-tests/throughput.ts', 'deploy/prometheus/tests/fraudscore-rules.test.yml'],
    },
    {
      promise: `availability ${percent(slo.availability)} of batch attempts commit`,
      how: 'fraudscore_batches_total against fraudscore_batch_retries_total; alert FraudscoreAvailabilityBudgetBurn',
      provenBy: ['deploy/prometheus/tests/fraudscore-rules.test.yml'],
    },
    {
      promise: `${slo.throughputRecordsPerSecond} records/s sustained per worker; more by adding partitions and workers`,
      how: 'consumer-group scale-out; alert FraudscoreConsumerLag beyond a minute of this throughput',
      provenBy: ['load-tests/throughput.ts', 'deploy/prometheus/tests/fraudscore-rules.test.yml'],
    },
    {
      promise: "drift of the inputs against the model card's reference is detected and alerted",
      how: 'PSI per feature (warning ≥ 0.1, critical ≥ 0.25, sustained); score quantiles, PSI and KS',
      provenBy: [
        'test/integration/deploy/prometheus-drift.test.ts',
        'deploy/prometheus/tests/fraudscore-rules.test.yml',
      ],
    },
    {
      promise: 'this document is what the schemas, the topology and the vocabulary say',
      how: 'generated by `fraudscore docs contract`; a test renders it again and compares',
      provenBy: ['test/unit/docs/render-contract.test.ts'],
    },
  ];
}

function percent(share: number): string {
  return `${Number((share * 100).toFixed(4))} %`;
}

function minutes(share: number, days: number): string {
  return `${Number((share * days * 24 * 60).toFixed(1))} min`;
}

/** The interface contract of one topology as markdown: docs/contract.md for the shipped one. */
export function renderContract(inputs: ContractInputs): string {
  const { topology, contract, schemas } = inputs;
  const { slo, errorBudget } = contract;
  const latencyBudget = 0.01;
  const availabilityBudget = 1 - slo.availability;
  const lines: string[] = [
    `# Interface contract: ${topology.name}`,
    '',
    `<!-- Generated by \`fraudscore docs contract --topology ${inputs.topologyFile}\` from ${inputs.topologyFile},`,
    '     schemas/*.avsc and src/core/contract/reasons.ts. Do not edit: regenerate. A unit test fails when stale. -->',
    '',
    `Upstream writes payments to \`${topology.topics.input}\` and labels to \`${topology.topics.labels}\`; the`,
    `consumer group \`${topology.consumerGroup}\` publishes one outcome per payment: a score on`,
    `\`${topology.topics.output}\` or a dead letter on \`${topology.topics.deadLetter}\`, committed together with the`,
    'input offsets in one Kafka transaction (read them `read_committed`). Every value is Avro in the Confluent wire',
    'format (magic byte 0, 4-byte schema id, body); subjects are `<topic>-value`, at compatibility',
    `${NEEDED_COMPATIBILITY.read} (or a stricter level) on the input and labels subjects, which the`,
    `pipeline reads as its contract, and ${NEEDED_COMPATIBILITY.written} on the output and dead-letter subjects.`,
    '',
    '## Ownership',
    '',
    '| | |',
    '| --- | --- |',
    `| owner | ${contract.owner.team} (${contract.owner.contact}) |`,
    `| on-call | ${contract.onCall.rotation}; escalation: ${contract.onCall.escalation} |`,
    `| rollback authority | ${contract.rollbackAuthority.map((who, i) => `${i + 1}. ${who}`).join('; ')}. ` +
      'An organisational rule: fraudscore records who made each change but does not check it; Kafka ACLs granting ' +
      'Write on `<topology>.control` enforce it (docs/guarantees-security.md) |',
    '',
    '## Input: payments',
    '',
    `\`${topology.topics.input}\`. ${schemas.transaction.doc ?? ''}`,
    '',
    ...fieldTable(schemas.transaction),
    '',
    '## Input: labels',
    '',
    `\`${topology.topics.labels}\`. ${schemas.label.doc ?? ''}`,
    '',
    ...fieldTable(schemas.label),
    '',
    '## Output: scores',
    '',
    `\`${topology.topics.output}\`. ${schemas.score.doc ?? ''} Decision: \`BLOCK\` at score ≥ ${topology.decision.blockAt},`,
    `\`REVIEW\` at ≥ ${topology.decision.reviewAt}, else \`APPROVE\`; an unusable model output publishes the fallback`,
    `score ${topology.decision.fallbackScore} with a reason code.`,
    '',
    ...fieldTable(schemas.score),
    '',
    'Reason codes on scores:',
    '',
    '| code | meaning |',
    '| --- | --- |',
    ...inputs.scoreReasonCodes.map((c) => `| \`${c}\` | ${SCORE_CODE_MEANING[c] ?? '(not yet described)'} |`),
    '',
    '## What bad input gets: dead letters',
    '',
    `\`${topology.topics.deadLetter}\`. ${schemas.deadLetter.doc ?? ''} Bad input never stops the worker; the first`,
    'failing check gives the reason (order and limits: docs/guarantees-input.md).',
    '',
    '| reason | when |',
    '| --- | --- |',
    ...inputs.deadLetterReasons.map((r) => `| \`${r}\` | ${DEAD_LETTER_MEANING[r] ?? '(not yet described)'} |`),
    '',
    ...fieldTable(schemas.deadLetter),
    '',
    '## Service level objectives',
    '',
    `Batches close at ${topology.batch.maxRecords} records or ${topology.batch.maxWaitMs} ms, whichever comes first, and on`,
    `a live stream (every partition read to its end) as soon as ${topology.batch.minRecords} records wait;`,
    "latency is a batch's closed -> committed time (`fraudscore_batch_latency_ms`).",
    '',
    '| objective | target | indicator |',
    '| --- | --- | --- |',
    `| batch latency p50 | ≤ ${slo.batchLatencyMs.p50} ms | \`histogram_quantile(0.5, fraudscore_batch_latency_ms_bucket)\` |`,
    `| batch latency p95 | ≤ ${slo.batchLatencyMs.p95} ms | \`histogram_quantile(0.95, fraudscore_batch_latency_ms_bucket)\` |`,
    `| batch latency p99 | ≤ ${slo.batchLatencyMs.p99} ms: 99 % of batches within it | \`fraudscore:batch_latency_slo_errors:ratio_rate*\` |`,
    `| sustained throughput | ${slo.throughputRecordsPerSecond} records/s per worker | \`rate(fraudscore_records_in_total)\`, \`fraudscore_consumer_lag_records\` |`,
    `| availability | ${percent(slo.availability)} of batch attempts commit | \`fraudscore:batch_availability_errors:ratio_rate*\` |`,
    '',
    '## Error budget',
    '',
    `Counted over a rolling ${errorBudget.windowDays} days:`,
    '',
    `- latency: ${percent(latencyBudget)} of batches may take longer than ${slo.batchLatencyMs.p99} ms;`,
    `- availability: ${percent(availabilityBudget)} of batch attempts may fail (a worker busy all the time: about ${minutes(availabilityBudget, errorBudget.windowDays)} of failing batches).`,
    '',
    'A burn of 14.4x the budget over 1 h (confirmed over 5 min) or 6x over 6 h (confirmed over 30 min) pages the',
    'on-call (deploy/prometheus/fraudscore-rules.yml).',
    '',
    `Policy: ${errorBudget.policy}`,
    '',
    '## Promises and how each is tested',
    '',
    '| promise | how | proven by |',
    '| --- | --- | --- |',
    ...contractPromises(contract).map(
      (p) => `| ${p.promise} | ${p.how} | ${p.provenBy.map((f) => `\`${f}\``).join(', ')} |`,
    ),
    '',
  ];
  return lines.join('\n');
}
