/**
 * One compacted topic per topology: `<topology>.control`, one partition (one key), the latest record kept forever.
 * Here, below both sides, because the Kafka adapter creates and reads it and the topology schema keeps the topics a
 * topology names from colliding with it. The topology's name (lower-case letters, digits and "-", beginning with a
 * letter or digit: config/topology-schema.ts) keeps this a valid Kafka topic name, off Kafka's internal prefix "__".
 */
export function controlTopicName(topology: string): string {
  return `${topology}.control`;
}

/**
 * How the control topic is made when none exists (by a worker at start-up, the first change, or the rollout
 * controller): one partition, so the order of changes is total; compacted and kept for ever, so the latest record is.
 */
export const CONTROL_TOPIC_SETTINGS = { partitions: 1, cleanupPolicy: 'compact', retentionMs: -1 } as const;
