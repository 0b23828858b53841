import { z } from 'zod';
import { monitoringReferenceSchema } from '../monitoring/reference.js';
import { describeTypeIssue, issuePath, JSON_WORDS, kindOf, typeIssueParams } from '../validation/index.js';

/**
 * card.json, as written by training/fraudtrain/card.py. The trainer is the only writer; this schema is what every
 * reader (registry, serving, CLI) may rely on. A field that changes meaning bumps `cardFormat`.
 */
export const CARD_FORMAT = 1;

/** Same rules as the trainer (fraudtrain/card.py): they become directory names and appear in `name@version`. */
export const MODEL_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const MODEL_VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SHA256_PATTERN = /^[0-9a-f]{64}$/;

const sha256 = z.string().regex(SHA256_PATTERN, '64 lowercase hex digits (a SHA-256)');
const isoTime = z.iso.datetime({ message: 'an ISO-8601 UTC timestamp, e.g. 2024-05-01T12:00:00.000Z' });
const rate = z.number().min(0).max(1);
const nullableRate = rate.nullable();
/** A simulator start: a date (UTC midnight) or an instant with an explicit zone. */
const isoTimeWithZone = () =>
  z
    .string()
    .regex(
      /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/,
      'an ISO-8601 date or instant with a zone',
    );

export const modelNameSchema = z
  .string()
  .regex(MODEL_NAME_PATTERN, 'lower-case letters, digits, ".", "_" or "-" (at most 64), e.g. card-fraud');
export const modelVersionSchema = z
  .string()
  .regex(MODEL_VERSION_PATTERN, 'letters, digits, ".", "_" or "-" (at most 64), e.g. 3');
/** `name@version`, as used for rollback targets. */
export const modelRefSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}@[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'name@version, e.g. card-fraud@3');

const reliabilityBin = z.object({
  lower: rate,
  upper: rate,
  count: z.number().int().min(0),
  meanPredicted: nullableRate,
  observedRate: nullableRate,
});

const interval = z.object({ low: z.number().nullable(), high: z.number().nullable() });

/** Day-bootstrap confidence intervals of a metric set (cards written before them have none). */
const intervals = z.object({
  method: z.string().min(1),
  level: z.number().gt(0).lt(1),
  resamples: z.number().int().min(1),
  days: z.number().int().min(0),
  aucRoc: interval,
  averagePrecision: interval,
  cardPrecisionAt100: interval,
  brier: interval,
});

const metricSet = z.object({
  rows: z.number().int().min(0),
  frauds: z.number().int().min(0),
  fraudRate: nullableRate,
  /** Null when the set has a single class: AUC and AP are undefined then. */
  aucRoc: nullableRate,
  averagePrecision: nullableRate,
  cardPrecisionAt100: z.object({ k: z.number().int().min(1), days: z.number().int().min(0), mean: nullableRate }),
  brier: nullableRate,
  reliability: z.array(reliabilityBin),
  intervals: intervals.optional(),
});

/** Model minus baseline on one metric, its paired bootstrap interval, and whether that interval holds zero. */
const margin = z.object({
  value: z.number().nullable(),
  low: z.number().nullable(),
  high: z.number().nullable(),
  withinNoise: z.boolean().nullable(),
});

/** A baseline fitted on the model's training rows and scored on its test period (training/fraudtrain/baselines.py). */
const baseline = z.object({
  description: z.string().min(1),
  params: z.record(z.string(), z.unknown()),
  metrics: metricSet.pick({ aucRoc: true, averagePrecision: true, cardPrecisionAt100: true, brier: true }).extend({
    intervals: intervals.optional(),
  }),
  margin: z.record(z.string(), margin),
});

export const baselinesSchema = z.object({
  evaluatedOn: z.string().min(1),
  trainedOn: z.string().min(1),
  /** Metrics on which the model must beat every baseline to be accepted without a recorded reason. */
  gated: z.array(z.string().min(1)),
  ceilings: z.record(z.string(), z.number().nullable()),
  beatsAll: z.boolean(),
  shortfalls: z.array(z.string()),
  /** The reason given with --allow-below-baseline; null when the model beats every baseline. */
  allowBelowBaseline: z.string().min(1).nullable(),
  models: z.record(z.string(), baseline),
});

const scoredSettings = z.looseObject({
  trees: z.number().int().min(1),
  cardPrecisionAt100: z.number(),
  averagePrecision: z.number(),
});

/** How the settings and tree count were chosen on time-aware folds (training/fraudtrain/search.py). */
export const selectionSchema = z.object({
  method: z.string().min(1),
  metric: z.string().min(1),
  tieBreak: z.string().min(1),
  grid: z.record(z.string(), z.array(z.number())),
  candidates: z.number().int().min(1),
  /** Candidates scored on every fold; the rest were ruled out on the latest fold. */
  keptAfterLatestFold: z.number().int().min(1).optional(),
  treeStep: z.number().int().min(1),
  maxTrees: z.record(z.string(), z.number().int().min(1)),
  labelDelayDays: z.number().int().min(0),
  folds: z.array(
    z.object({
      trainFrom: isoTime,
      trainTo: isoTime,
      validFrom: isoTime,
      validTo: isoTime,
      trainRows: z.number().int().min(0),
      validRows: z.number().int().min(0),
    }),
  ),
  chosen: scoredSettings.extend({
    perFold: z.array(z.object({ cardPrecisionAt100: z.number(), averagePrecision: z.number() })),
  }),
  incumbent: scoredSettings,
  leaderboard: z.array(scoredSettings),
  latestFold: z.array(scoredSettings).optional(),
});

/**
 * Where a dataset's raw events and labels come from, precisely enough for `fraudscore retrain` to read them again:
 * the seeded simulator's spec (same spec, same bytes), or files (path relative to the repository root, or absolute,
 * and the sha256 the backfill read).
 */
const rawFile = z.object({ path: z.string().min(1), sha256, bytes: z.number().int().min(0).optional() });
export const rawSourceSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('simulate'),
    seed: z.number().int().min(0),
    customers: z.number().int().min(0),
    terminals: z.number().int().min(0),
    days: z.number().int().min(0),
    start: isoTimeWithZone(),
    labelDelayMinHours: z.number().min(0),
    labelDelayMaxDays: z.number().min(0),
    genuineLabelRate: z.number().min(0),
    format: z.enum(['jsonl', 'csv']),
    /** `simulate --drift` and its settings; absent: simulate's defaults (no drift). */
    drift: z.enum(['none', 'amount-shift', 'new-terminals']).optional(),
    driftFromDay: z.number().int().min(0).optional(),
    driftAmountFactor: z.number().positive().optional(),
  }),
  z.object({ kind: z.literal('files'), events: rawFile, labels: z.array(rawFile) }),
]);

/** The backfill's parameters, from its manifest, plus the topology file (null: not recorded). */
export const backfillParamsSchema = z.object({
  topology: z.string().min(1).nullable(),
  labelDelayMs: z.number().min(0).nullable(),
  latenessMarginMs: z.number().min(0).nullable(),
  fromMs: z.number().nullable(),
  toMs: z.number().nullable(),
  labelAsOfMs: z.number().nullable(),
  /** The training table's file format; absent: CSV (cards written before Parquet tables). Its bytes are what tableSha256 hashes. */
  tableFormat: z.enum(['parquet', 'csv']).optional(),
  /**
   * The training table's file name, which its manifest (whose sha256 the card records) names; absent: the name
   * `fraudscore retrain` gives it, `train.<format>` (`reference.<format>` for a reference table).
   */
  tableFile: z
    .string()
    .regex(/^(?!\.\.?$)[^/\\]+$/, 'a file name without a directory')
    .optional(),
});

const datasetSource = z.record(z.string(), z.unknown());

export const modelCardSchema = z.object({
  cardFormat: z.literal(CARD_FORMAT, { message: `card format ${CARD_FORMAT} (written by training/fraudtrain)` }),
  name: modelNameSchema,
  version: modelVersionSchema,
  createdAt: isoTime,
  owner: z.string().min(1, 'a team or person answerable for the model'),
  modelFile: z.literal('model.onnx', { message: 'always "model.onnx": the registry layout depends on it' }),
  modelSha256: sha256,
  input: z.object({
    name: z.string().min(1),
    features: z.array(z.string().min(1)).min(1, 'at least one feature'),
    dtype: z.literal('float32', { message: 'float32: the only input type the serving side feeds' }),
  }),
  output: z.object({
    name: z.string().min(1),
    positiveClassIndex: z.number().int().min(0),
  }),
  featureSchemaVersion: z.string().min(1),
  dataset: z.object({
    tableSha256: sha256,
    manifestSha256: sha256,
    rows: z.number().int().min(1),
    eventTimeFrom: isoTime,
    eventTimeTo: isoTime,
    labelDelayDays: z.number().min(0).nullable().optional(),
    // Whatever the backfill recorded about its inputs (events, labels: path + sha256); null when it recorded none.
    source: datasetSource.nullable().optional(),
    rawSource: rawSourceSchema.nullable().optional(),
    backfill: backfillParamsSchema.nullable().optional(),
  }),
  split: z.object({
    method: z.string().min(1),
    testDays: z.number().int().min(1),
    testFrom: isoTime,
    seed: z.number().int(),
    rows: z.record(z.string(), z.number().int().min(0)),
  }),
  training: z.object({
    library: z.string().min(1),
    libraries: z.record(z.string(), z.string()),
    params: z.record(z.string(), z.unknown()),
    bestIteration: z.number().int().min(1),
    seed: z.number().int(),
    codeCommit: z.string().regex(/^([0-9a-f]{40}|[0-9a-f]{64}|unknown)$/, 'a git commit id or "unknown"'),
    /** training/ had uncommitted changes: codeCommit alone does not reproduce the model. Null outside git. */
    codeDirty: z.boolean().nullable().optional(),
    /** The trainer's arguments that shape the model and metrics, and how its reference set was built. */
    args: z
      .object({
        seed: z.number().int(),
        testDays: z.number().int().min(1),
        thresholdAlertRate: rate,
        reference: z
          .object({
            tableSha256: sha256,
            rawSource: rawSourceSchema.nullable(),
            source: datasetSource.nullable(),
            backfill: backfillParamsSchema.nullable(),
          })
          .nullable(),
        /** LightGBM settings tried in model selection (absent: trained before model selection). */
        searchCandidates: z.number().int().min(1).optional(),
        /** Why a model below its baselines was accepted; null or absent when it was not. */
        allowBelowBaseline: z.string().min(1).nullable().optional(),
      })
      .optional(),
    lockfileSha256: sha256,
    /** Installed packages that differ from requirements.lock ("installed X, locked Y"); {} is the locked environment.
     *  Absent from cards written before the trainer recorded it. */
    lockMismatches: z.record(z.string(), z.string()).optional(),
    onnx: z.object({ targetOpset: z.number().int(), maxAbsDiffVsNative: z.number().min(0), tolerance: z.number() }),
  }),
  metrics: z.object({
    test: metricSet,
    testInTime: metricSet.nullable().optional(),
    reference: metricSet.extend({ tableSha256: sha256 }).nullable(),
  }),
  selection: selectionSchema.optional(),
  baselines: baselinesSchema.optional(),
  decision: z.object({
    threshold: rate,
    expectedAlertRate: rate,
    targetAlertRate: rate,
    rule: z.string().optional(),
  }),
  servingSlo: z.record(z.string(), z.number().positive()),
  rollbackTarget: modelRefSchema.nullable(),
  /** Reference distributions for drift monitoring (cards written before it existed lack it: no drift figures). */
  monitoring: monitoringReferenceSchema.optional(),
});

export type ModelCard = z.infer<typeof modelCardSchema>;
export type MetricSet = z.infer<typeof metricSet>;

export type CardValidation =
  { readonly ok: true; readonly card: ModelCard } | { readonly ok: false; readonly problems: readonly string[] };

/** One line per issue; `raw` is the parsed JSON, which tells a missing field from one of the wrong type. */
function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const path = issuePath(issue);
  const type = describeTypeIssue(issue, raw);
  if (type?.missing) return `${path}: required field is missing (expected ${type.expected})`;
  if (type) return `${path}: expected ${type.expected}, found ${kindOf(type.found, JSON_WORDS)}`;
  return `${path}: ${issue.message}`;
}

/**
 * Validates parsed card.json content. Besides the shape: the decision's positive class must exist in a
 * two-column output and the data window must not run backwards.
 */
export function validateModelCard(raw: unknown): CardValidation {
  const result = modelCardSchema.safeParse(raw, typeIssueParams(JSON_WORDS));
  if (!result.success) return { ok: false, problems: result.error.issues.map((issue) => describeIssue(issue, raw)) };
  const card = result.data;
  const problems: string[] = [];
  if (card.output.positiveClassIndex > 1) {
    problems.push('output.positiveClassIndex: must be 0 or 1 for a [n, 2] probabilities output');
  }
  if (card.dataset.eventTimeFrom > card.dataset.eventTimeTo) {
    problems.push('dataset.eventTimeFrom: later than dataset.eventTimeTo');
  }
  if (new Set(card.input.features).size !== card.input.features.length) {
    problems.push('input.features: names must be unique');
  }
  if (card.version === 'champion') {
    problems.push('version: "champion" is reserved for the registry\'s champion selector; use another version');
  }
  if (card.rollbackTarget === `${card.name}@${card.version}`) {
    problems.push('rollbackTarget: a model cannot be its own rollback target');
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, card };
}

/** Parses card.json bytes' text; `where` names the file in messages. */
export function parseModelCard(text: string, where: string): CardValidation {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`${where}: not valid JSON (${(error as Error).message})`] };
  }
  const result = validateModelCard(raw);
  return result.ok ? result : { ok: false, problems: result.problems.map((problem) => `${where}: ${problem}`) };
}

export type RawSource = z.infer<typeof rawSourceSchema>;
export type BackfillParams = z.infer<typeof backfillParamsSchema>;
