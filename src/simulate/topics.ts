import kafkajs, { type Admin } from 'kafkajs';

// kafkajs is CommonJS and Node's named-export detection misses this enum; take it from the default export.
const { ConfigResourceTypes } = kafkajs;

/**
 * Simulated records carry simulated timestamps (the Kafka record timestamp is the event time), which may lie far in
 * the past. A topic with time-based retention would delete them minutes after they are written (segments roll on
 * record timestamps, and the retention check sees them as long expired), so topics the simulator creates keep their
 * records forever; existing topics are checked, not changed.
 */
export const SIMULATION_TOPIC_CONFIG = [{ name: 'retention.ms', value: '-1' }];

const CHECKED_CONFIGS = [
  'retention.ms',
  'message.timestamp.type',
  'message.timestamp.before.max.ms',
  'message.timestamp.after.max.ms',
];

export interface TopicTimestampPolicy {
  readonly topic: string;
  /** -1 = keep forever. */
  readonly retentionMs: number;
  /** LogAppendTime replaces our timestamps with the broker's clock, which makes retention and skew checks moot. */
  readonly logAppendTime: boolean;
  /** How far in the past / future of the broker's clock a record timestamp may be (Long.MAX when unlimited). */
  readonly beforeMaxMs: number;
  readonly afterMaxMs: number;
}

/**
 * Why this topic would lose or reject the simulated records, or null when it is fine. Pure: the span of simulated
 * timestamps and the wall clock are passed in.
 */
export function timestampProblem(
  policy: TopicTimestampPolicy,
  span: { readonly firstMs: number; readonly lastMs: number },
  nowMs: number,
): string | null {
  if (policy.logAppendTime) return null;
  const iso = (ms: number): string => new Date(ms).toISOString();
  if (policy.retentionMs >= 0 && span.firstMs < nowMs - policy.retentionMs) {
    return (
      `topic ${policy.topic} has retention.ms=${policy.retentionMs}: records stamped from ${iso(span.firstMs)} would ` +
      `be deleted shortly after they are written. Fix: set retention.ms=-1 on the topic (kafka-configs.sh --alter ` +
      `--entity-type topics --entity-name ${policy.topic} --add-config retention.ms=-1), or delete it and let the ` +
      `simulator create it`
    );
  }
  if (span.firstMs < nowMs - policy.beforeMaxMs) {
    return `topic ${policy.topic} rejects timestamps older than message.timestamp.before.max.ms=${policy.beforeMaxMs}; simulated time starts ${iso(span.firstMs)}. Fix: raise the limit on the topic or choose a later --start`;
  }
  if (span.lastMs > nowMs + policy.afterMaxMs) {
    return `topic ${policy.topic} rejects timestamps more than message.timestamp.after.max.ms=${policy.afterMaxMs} ahead of the broker's clock; simulated time (labels included) runs to ${iso(span.lastMs)}. Fix: choose an earlier --start or fewer --days`;
  }
  return null;
}

function parseLimit(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  return Number.isFinite(n) ? n : fallback;
}

/** Creates the topics that are missing (with `partitions` partitions) and reads the timestamp policy of all. */
export async function prepareTopics(
  admin: Admin,
  topics: readonly string[],
  partitions: number,
): Promise<{ created: string[]; policies: TopicTimestampPolicy[] }> {
  const existing = new Set(await admin.listTopics());
  const missing = [...new Set(topics)].filter((t) => !existing.has(t));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({ topic, numPartitions: partitions, configEntries: SIMULATION_TOPIC_CONFIG })),
    });
  }
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: CHECKED_CONFIGS })),
  });
  const policies = described.resources.map((resource): TopicTimestampPolicy => {
    const value = (name: string): string | undefined =>
      resource.configEntries.find((entry) => entry.configName === name)?.configValue;
    return {
      topic: resource.resourceName,
      retentionMs: parseLimit(value('retention.ms'), -1),
      logAppendTime: value('message.timestamp.type') === 'LogAppendTime',
      beforeMaxMs: parseLimit(value('message.timestamp.before.max.ms'), Number.MAX_SAFE_INTEGER),
      afterMaxMs: parseLimit(value('message.timestamp.after.max.ms'), Number.MAX_SAFE_INTEGER),
    };
  });
  return { created: missing, policies };
}
