import type { Kafka } from 'kafkajs';

/**
 * Creates the topics that do not exist yet; existing ones are left as they are. A local-stack convenience:
 * production topics are provisioned with their own retention.
 * Topics listed in `keepForever` get retention.ms=-1: their record timestamps are event times, possibly far in the
 * past (a replayed backlog), and time-based retention would delete such records as soon as they are written.
 */
export async function ensureTopics(
  kafka: Kafka,
  topics: readonly string[],
  partitions: number,
  keepForever: readonly string[] = [],
): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: partitions,
          replicationFactor: 1,
          ...(keepForever.includes(topic) ? { configEntries: [{ name: 'retention.ms', value: '-1' }] } : {}),
        })),
      });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}
