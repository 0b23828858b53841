import { z } from 'zod';
import {
  controlTopicName,
  gateBoundSchema,
  MIN_BATCH_WAIT_MS,
  MIN_ROLLOUT_STEP_MS,
  stepProblem,
} from '../core/control/index.js';
import { findInlineCredential, inlineCredentialMessage } from './inline-credentials.js';

/**
 * The topology file's schema: the one description of what a topology may say.
 * Secrets are never values here: fields ending in `Env` or `File` name where a secret lives.
 */
/**
 * A TCP port: an integer, or a string of its digits (a ${VAR} placeholder always gives a string). 0 asks the OS for any
 * free port (tests, several workers on one host). Not z.coerce.number(), which reads null, '', ' ' and false as 0 (a
 * random port nobody scrapes), true as 1 and [8080] as 8080; any other string is NaN here, which the messages report
 * as the wrong value of a converting field.
 */
const port = z.preprocess(
  (value) => (typeof value === 'string' ? (/^\s*\d+\s*$/.test(value) ? Number(value) : NaN) : value),
  z.number().int().min(0).max(65535),
);
/** What a secret field holds, as messages say it: where the secret is kept, never the secret itself. */
export const SECRET_REF_EXPECTED = '{ env: NAME } or { file: path }';
const secretRef = z
  .object(
    {
      env: z
        .string()
        .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name')
        .optional(),
      file: z.string().min(1).optional(),
    },
    { error: (issue) => (issue.code === 'invalid_type' ? SECRET_REF_EXPECTED : undefined) },
  )
  .strict()
  .refine((ref) => (ref.env === undefined) !== (ref.file === undefined), 'give exactly one of `env` or `file`');

const text = z.string().trim().min(1);
const latencyMs = z.number().positive().max(30_000);

/**
 * The interface contract this topology offers its upstream and downstream: who owns it, who may roll it back, what it
 * promises. `fraudscore docs contract` renders it with the schemas and the dead-letter vocabulary; the Prometheus
 * burn-rate alerts (deploy/prometheus/) encode the same SLOs, and a test keeps the two in step.
 */
const contractSchema = z
  .object({
    owner: z.object({ team: text, contact: text }).strict(),
    onCall: z.object({ rotation: text, escalation: text }).strict(),
    /** Who may flip the kill switch or roll the champion back, in the order they are asked. */
    rollbackAuthority: z.array(text).min(1),
    slo: z
      .object({
        /** Batch closed -> transaction committed, per percentile. */
        batchLatencyMs: z
          .object({ p50: latencyMs, p95: latencyMs, p99: latencyMs })
          .strict()
          .refine((l) => l.p50 <= l.p95 && l.p95 <= l.p99, { message: 'p50 <= p95 <= p99', path: ['p95'] }),
        /** Records per second one worker sustains (capacity: scale out beyond it). */
        throughputRecordsPerSecond: z.number().positive(),
        /** Share of batch attempts that commit (an aborted, retried attempt is a failure), e.g. 0.999. */
        availability: z.number().gt(0).lt(1, 'below 1: a 100 % objective leaves no error budget'),
      })
      .strict(),
    errorBudget: z
      .object({
        /** The rolling window the objectives and their budgets are counted over. */
        windowDays: z.number().int().min(1).max(90),
        /** What happens when a budget is spent. */
        policy: text,
      })
      .strict(),
  })
  .strict();
/** Adds an issue when `address` carries a credential (userinfo or a credential-shaped query parameter). */
function refuseInlineCredentials(section: string) {
  return (address: string, ctx: z.core.$RefinementCtx<string>): void => {
    const found = findInlineCredential(address);
    if (found) ctx.addIssue({ code: 'custom', message: inlineCredentialMessage(found, section) });
  };
}
const HOST_PORT = /^[^\s:,]+:\d{1,5}$/;
/** A broker address's port, when the address is host:port: 1..65535 (port 0 cannot be connected to). */
function brokerPortInRange(address: string): boolean {
  if (!HOST_PORT.test(address)) return true; // the shape's own message says what is wrong
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  return port >= 1 && port <= 65535;
}
/**
 * The schema registry's address: the base of an HTTP API. URL parsing alone accepts ftp://, redis:// or file:///,
 * which would pass validation and fail only at start with "did not answer"; `http:host` and `http:/\host`, which
 * fetch would read as http://host, are refused too (zod asks for "://" when the protocol is http(s)).
 */
export const registryUrlSchema = z.url({
  protocol: /^https?$/,
  error: (issue) => {
    // Not a string at all: the loader says what was found (and never repeats it: it may be a secret).
    if (issue.code === 'invalid_type') return undefined;
    const scheme = /^\s*([a-z][a-z0-9+.-]*):/i.exec(String(issue.input))?.[1];
    const found = scheme && !/^https?$/i.test(scheme) ? ` (found ${scheme}:)` : '';
    return (
      `an http:// or https:// URL${found}: the schema registry is an HTTP API; ` +
      'set it to the base of its Confluent-compatible API, e.g. http://host:8080/apis/ccompat/v7'
    );
  },
});
/**
 * Adds an issue when the registry has a username without a password or the reverse: the client would send the
 * username with an empty password (or no credentials at all), and the registry's refusal would not name the field.
 */
function requireRegistryCredentialsTogether(
  registry: { username?: string | undefined; password?: unknown },
  ctx: z.core.$RefinementCtx,
): void {
  if (registry.username !== undefined && registry.password === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['password'],
      message:
        'required with schemaRegistry.username; add password: ' +
        `${SECRET_REF_EXPECTED}, or remove username for a registry without authentication`,
    });
  } else if (registry.username === undefined && registry.password !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['username'],
      message: 'required with schemaRegistry.password; add the username, or remove password',
    });
  }
}
/**
 * Adds an issue when a Redis ACL user is named without its password: ioredis then authenticates as nobody, and every
 * command fails with NOAUTH long after start-up. A password alone is fine (the default user, `requirepass`).
 */
function requireRedisPasswordWithUsername(
  redis: { username?: string | undefined; password?: unknown },
  ctx: z.core.$RefinementCtx,
): void {
  if (redis.username === undefined || redis.password !== undefined) return;
  ctx.addIssue({
    code: 'custom',
    path: ['password'],
    message:
      'required with redis.username (an ACL user); add password: ' +
      `${SECRET_REF_EXPECTED}, or remove username for Redis without authentication`,
  });
}
/**
 * Adds an issue when SASL/PLAIN would send the password without TLS: unlike SCRAM, PLAIN puts the password itself on
 * the wire, so without kafka.ssl anyone on the path reads it.
 */
function refusePlainPasswordWithoutTls(
  kafka: { ssl?: unknown; sasl?: { mechanism: string; allowPlainWithoutTls: boolean } | undefined },
  ctx: z.core.$RefinementCtx,
): void {
  if (kafka.sasl?.mechanism !== 'plain' || kafka.ssl !== undefined || kafka.sasl.allowPlainWithoutTls) return;
  ctx.addIssue({
    code: 'custom',
    path: ['sasl', 'mechanism'],
    message:
      'plain without kafka.ssl sends the password in clear text; add kafka.ssl (TLS), or use scram-sha-512, or ' +
      'set kafka.sasl.allowPlainWithoutTls: true where the network to the brokers is trusted end to end',
  });
}
/** The topics a topology names, by role, in the order their fields are written. */
const TOPIC_ROLES = ['input', 'output', 'labels', 'deadLetter'] as const;
type TopicRole = (typeof TOPIC_ROLES)[number];
/**
 * The topic of one role. Kafka's own rule first (a pattern, so editors check it too): "." and ".." would be directories
 * of the broker's log. Then Kafka's internal prefix (a pattern too): names beginning "__" belong to the broker and its
 * clients (__consumer_offsets, __transaction_state); the broker refuses writes to its internal topics, so a worker
 * pointed at one fails every batch, and reading one feeds it the broker's own records.
 */
function topicName(role: TopicRole) {
  return z
    .string()
    .regex(
      /^(?!\.\.?$)[a-zA-Z0-9._-]{1,249}$/,
      'a Kafka topic name: 1-249 characters of letters, digits, ".", "_" or "-", other than "." and ".."',
    )
    .regex(/^(?!__)/, {
      error: (issue) =>
        `${String(issue.input)} begins with "__", which Kafka keeps for its internal topics (__consumer_offsets, ` +
        `__transaction_state); rename topics.${role} so it does not begin with "__"`,
    });
}
/**
 * Adds an issue on each role whose topic an earlier role already uses. The worker tells labels from transactions by
 * their topic, reads input and labels, and registers one schema per output topic, so a shared topic turns every
 * transaction into a label, re-reads its own dead letters forever, or fails only at start with a registry conflict.
 * Names that differ only in "." and "_" are one topic to Kafka's metrics, and it refuses to create the second.
 */
function refuseSharedTopics(topics: Record<TopicRole, string>, ctx: z.core.$RefinementCtx): void {
  TOPIC_ROLES.forEach((role, index) => {
    const earlier = TOPIC_ROLES.slice(0, index);
    const same = earlier.find((other) => topics[other] === topics[role]);
    const colliding = earlier.find((other) => collide(topics[other], topics[role]));
    if (same !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [role],
        message:
          `the same topic as topics.${same} (${topics[role]}); ` +
          'each of input, output, labels and deadLetter needs a topic of its own',
      });
    } else if (colliding !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [role],
        message: collisionMessage(role, topics[role], `topics.${colliding} (${topics[colliding]})`),
      });
    }
  });
}
/**
 * Adds an issue on each role whose topic is, or collides with, the control topic named after the topology
 * (`<name>.control`): on that very topic control records and the role's records would mix; on a colliding name,
 * Kafka refuses to create whichever of the two comes second.
 */
function refuseControlTopic(
  topology: { name: string; topics: Record<TopicRole, string> },
  ctx: z.core.$RefinementCtx,
): void {
  const control = controlTopicName(topology.name);
  for (const role of TOPIC_ROLES) {
    const topic = topology.topics[role];
    if (!collide(topic, control)) continue;
    const other = `the control topic named after name (${control})`;
    ctx.addIssue({
      code: 'custom',
      path: ['topics', role],
      message:
        topic === control
          ? `${other}; rename topics.${role}: control records must have the topic to themselves`
          : collisionMessage(role, topic, other),
    });
  }
}
/** Kafka names a topic in its metrics with "." as "_": two topics with one metric name cannot both exist. */
function collide(a: string, b: string): boolean {
  return a.replaceAll('.', '_') === b.replaceAll('.', '_');
}
/** Names the role's topic, the one it collides with (`other`, its field and name) and the fix. */
function collisionMessage(role: TopicRole, topic: string, other: string): string {
  return (
    `${topic} collides with ${other}: Kafka refuses topic names that differ only in "." and "_" ` +
    `(one name in its metrics); rename topics.${role} so the two differ in another character`
  );
}
/**
 * Drift windows and delayed-label evaluation (README "Monitoring"). Every field has a default: a topology without
 * this section monitors with them.
 */
const MONITORING_DEFAULTS = {
  drift: { windowRecords: 10_000, windowMs: 3_600_000, minRecords: 1_000 },
  evaluation: { horizonDays: 10, windowDays: 7, minLabelled: 200 },
};
const monitoringSchema = z
  .object({
    drift: z
      .object({
        // The rolling window: the most recent windowRecords records, none older than windowMs (worker clock).
        windowRecords: z.number().int().min(300).max(1_000_000).default(MONITORING_DEFAULTS.drift.windowRecords),
        windowMs: z.number().int().min(1_000).default(MONITORING_DEFAULTS.drift.windowMs),
        // Below it: "insufficient data" (gauges absent). At least 300, so the KS p-value is defined (ks.ts).
        minRecords: z.number().int().min(300).default(MONITORING_DEFAULTS.drift.minRecords),
      })
      .strict()
      .refine((d) => d.minRecords <= d.windowRecords, { message: 'at most windowRecords', path: ['minRecords'] })
      .default(MONITORING_DEFAULTS.drift),
    evaluation: z
      .object({
        // A scoring day is final this many days after it ends: longer than the label delay, or frauds go missing.
        horizonDays: z.number().int().min(1).max(120).default(MONITORING_DEFAULTS.evaluation.horizonDays),
        // Live metrics pool the latest windowDays final days (the card's held-out split is 7 days).
        windowDays: z.number().int().min(1).max(90).default(MONITORING_DEFAULTS.evaluation.windowDays),
        minLabelled: z.number().int().min(1).default(MONITORING_DEFAULTS.evaluation.minLabelled),
      })
      .strict()
      .default(MONITORING_DEFAULTS.evaluation),
  })
  .strict();

/**
 * Why a topology's evaluation horizon cannot serve its label delay, or undefined. A scoring day is final horizonDays
 * after it ends; a fraud may be reported up to the label delay after the payment, so a horizon no longer than the
 * delay would finalise days before their late fraud reports arrive, and count those frauds as genuine.
 */
function evaluationHorizonProblem(topology: {
  readonly features: { readonly labelDelayDays: number };
  readonly monitoring: MonitoringSettings;
}): string | undefined {
  const { horizonDays } = topology.monitoring.evaluation;
  const { labelDelayDays } = topology.features;
  if (horizonDays > labelDelayDays) return undefined;
  return (
    `${horizonDays} days is not longer than the label delay (features.labelDelayDays ${labelDelayDays}); ` +
    `frauds reported late would count as genuine. Set it above ${labelDelayDays}.`
  );
}

const team = z.string().regex(/^[A-Za-z0-9@._-]{1,64}$/, 'a team or person id, e.g. fraud-oncall');

/** Defaults of the model lifecycle: a step of 30 minutes, gates judged on at least 1,000 records. */
export const ROLLOUT_DEFAULTS = {
  owner: 'fraud-ml-team',
  rollbackAuthority: ['fraud-oncall', 'fraud-ml-team'],
  plan: [1, 5, 25, 50, 100],
  stepMs: 30 * 60_000,
  gates: {
    minRecords: 1_000,
    // Half a point of alert rate: at a 1 % alert rate, a 50 % relative change in the review queue.
    maxAlertRateDelta: 0.005,
    // The usual reading of PSI: above 0.25 the distribution has shifted significantly.
    maxScorePsi: 0.25,
    aucMargin: 0.01,
    minLabelled: 500,
  },
} as const;

const rolloutSchema = z
  .object({
    /** Who answers for the models of this topology (named in the runbook). */
    owner: team.default(ROLLOUT_DEFAULTS.owner),
    /**
     * Who may flip the kill switch and abort a rollout, as the runbook prints it: a documented list, not checked by
     * fraudscore (the CLI records the actor it is given on every control change). Kafka ACLs on the control topic are
     * what restrict its writers.
     */
    rollbackAuthority: z
      .array(team)
      .min(1)
      .default([...ROLLOUT_DEFAULTS.rollbackAuthority]),
    plan: z
      .array(z.number().positive().max(100))
      .min(1)
      .refine((plan) => plan.every((p, i) => i === 0 || p > (plan[i - 1] as number)) && plan.at(-1) === 100, {
        message: 'increasing percentages ending at 100, e.g. [1, 5, 25, 50, 100]',
      })
      .default([...ROLLOUT_DEFAULTS.plan]),
    /** Minimum duration of a stage before its gates are judged: at least a minute (see MIN_ROLLOUT_STEP_MS). */
    stepMs: z
      .number()
      .int()
      .min(MIN_ROLLOUT_STEP_MS, {
        error: (issue) =>
          `${stepProblem(Number(issue.input))}; set it to ${MIN_ROLLOUT_STEP_MS} (1 min) or more, e.g. 1800000 (30 min)`,
      })
      .max(7 * 86_400_000)
      .default(ROLLOUT_DEFAULTS.stepMs),
    gates: z
      .object({
        minRecords: z.number().int().min(1).default(ROLLOUT_DEFAULTS.gates.minRecords),
        // The ranges a rollout's own bounds obey too (`rollout start --max-score-psi` …): one definition, in core.
        maxAlertRateDelta: gateBoundSchema('maxAlertRateDelta').default(ROLLOUT_DEFAULTS.gates.maxAlertRateDelta),
        maxScorePsi: gateBoundSchema('maxScorePsi').default(ROLLOUT_DEFAULTS.gates.maxScorePsi),
        aucMargin: gateBoundSchema('aucMargin').default(ROLLOUT_DEFAULTS.gates.aucMargin),
        minLabelled: z.number().int().min(1).default(ROLLOUT_DEFAULTS.gates.minLabelled),
      })
      .strict()
      .default({ ...ROLLOUT_DEFAULTS.gates }),
  })
  .strict();

export const topologySchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and "-", e.g. card-payments'),
    kafka: z
      .object({
        // One entry may hold a comma-separated list, so a single env var can carry every broker; spaces around the
        // commas ("h1:9092, h2:9092", as lists are often written) are not part of an address.
        brokers: z.preprocess(
          (value) =>
            Array.isArray(value)
              ? value.flatMap((entry) =>
                  String(entry)
                    .split(',')
                    .map((address) => address.trim()),
                )
              : value,
          z
            .array(
              z
                .string()
                .superRefine(refuseInlineCredentials('kafka.sasl'))
                .regex(HOST_PORT, 'host:port, e.g. 127.0.0.1:9092')
                .refine(brokerPortInRange, 'the port must be 1..65535, e.g. 127.0.0.1:9092'),
            )
            .min(1),
        ),
        clientId: text.default('fraudscore'),
        ssl: z
          .object({ caFile: z.string().min(1).optional(), rejectUnauthorized: z.boolean().default(true) })
          .strict()
          .optional(),
        sasl: z
          .object({
            mechanism: z.enum(['scram-sha-512', 'scram-sha-256', 'plain']),
            username: z.string().min(1),
            password: secretRef,
            // SASL/PLAIN sends the password as it is: without TLS, in clear text to anyone on the path. Only for a
            // network trusted end to end (a sidecar on localhost, say), and then said here.
            allowPlainWithoutTls: z.boolean().default(false),
          })
          .strict()
          .optional(),
      })
      .strict()
      .superRefine(refusePlainPasswordWithoutTls),
    schemaRegistry: z
      .object({
        url: registryUrlSchema.superRefine(refuseInlineCredentials('schemaRegistry')),
        username: z.string().min(1).optional(),
        password: secretRef.optional(),
        // The subjects (by their topic's key under topics:) the pipeline may create and whose compatibility level it
        // may raise. By default only those it writes: in production upstream teams own the input and labels subjects.
        manageSubjects: z
          .array(z.enum(TOPIC_ROLES))
          .default(['output', 'deadLetter'])
          .refine((roles) => new Set(roles).size === roles.length, 'each topic at most once'),
      })
      .strict()
      .superRefine(requireRegistryCredentialsTogether),
    redis: z
      .object({
        url: z
          .string()
          .superRefine(refuseInlineCredentials('redis'))
          .regex(/^rediss?:\/\//, 'redis://host:port or rediss://host:port (TLS)'),
        username: z.string().min(1).optional(),
        password: secretRef.optional(),
        keyPrefix: z.string().min(1).default('fs:'),
        // The worker's replica of the feature state (customer histories and terminal times of the entities it has
        // seen), least recently used dropped past it. Too small shows as fraudscore_feature_replica_whole_logs_total
        // rising with every batch: raise it (and the memory limit) to about the replica's size at full state.
        replicaBudgetMiB: z.number().int().min(1, 'at least 1 (MiB)').max(16_384, 'at most 16384 (MiB)').default(64),
      })
      .strict()
      .superRefine(requireRedisPasswordWithUsername),
    topics: z
      .object({
        input: topicName('input'),
        output: topicName('output'),
        labels: topicName('labels'),
        deadLetter: topicName('deadLetter'),
        partitions: z.number().int().min(1).max(1024).default(4),
      })
      .strict()
      .superRefine(refuseSharedTopics),
    consumerGroup: text,
    batch: z
      .object({
        maxRecords: z.number().int().min(100, 'at least 100 (smaller batches waste a transaction each)').max(1000),
        maxWaitMs: z.number().int().min(MIN_BATCH_WAIT_MS).max(30_000, 'at most 30000 ms (30 s)'),
        // On a live stream (partitions read to their ends) a batch closes as soon as this many wait: set it to
        // maxRecords to close only by size or time.
        minRecords: z.number().int().min(1).max(1000).default(100),
      })
      .strict()
      .refine((batch) => batch.minRecords <= batch.maxRecords, {
        message: 'at most maxRecords (set it to maxRecords to close batches only by size or time)',
        path: ['minRecords'],
      }),
    features: z
      .object({
        set: z.literal('card-baseline-v1', { message: 'the only feature set is card-baseline-v1' }),
        labelDelayDays: z
          .number()
          .int()
          .min(1, 'at least 1 day: terminal windows end one label delay before the transaction, so 0 would count it')
          .max(90),
      })
      .strict(),
    model: z
      .object({
        registry: z.string().min(1),
        name: z.string().min(1),
        version: text,
      })
      .strict(),
    decision: z
      .object({
        blockAt: z.number().min(0).max(1),
        reviewAt: z.number().min(0).max(1),
        fallbackScore: z.number().min(0).max(1),
      })
      .strict()
      .refine((d) => d.reviewAt <= d.blockAt, { message: 'reviewAt must be <= blockAt', path: ['reviewAt'] }),
    serving: z.object({ batchP99Ms: z.number().positive() }).strict().default({ batchP99Ms: 100 }),
    rollout: rolloutSchema.default(() => ({
      ...ROLLOUT_DEFAULTS,
      rollbackAuthority: [...ROLLOUT_DEFAULTS.rollbackAuthority],
      plan: [...ROLLOUT_DEFAULTS.plan],
      gates: { ...ROLLOUT_DEFAULTS.gates },
    })),
    metrics: z.object({ host: z.string().min(1).default('127.0.0.1'), port }).strict(),
    contract: contractSchema.optional(),
    monitoring: monitoringSchema.default(MONITORING_DEFAULTS),
  })
  .strict()
  .superRefine(refuseControlTopic)
  .superRefine((topology, ctx) => {
    // Checked here rather than when `fraudscore evaluate` starts, so that lint and every command refuse it.
    const problem = evaluationHorizonProblem(topology);
    if (problem) ctx.addIssue({ code: 'custom', path: ['monitoring', 'evaluation', 'horizonDays'], message: problem });
  });

export type Topology = z.infer<typeof topologySchema>;
export type MonitoringSettings = z.infer<typeof monitoringSchema>;
export type SecretRef = z.infer<typeof secretRef>;
export type Contract = z.infer<typeof contractSchema>;

/** JSON Schema for editors (`fraudscore topology schema`). */
export function topologyJsonSchema(): object {
  return z.toJSONSchema(topologySchema, { io: 'input' });
}
