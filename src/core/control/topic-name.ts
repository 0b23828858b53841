/**
 * One compacted topic per topology: `<topology>.control`, one partition (one key), the latest record kept forever.
 * Here, below both sides, because the Kafka adapter creates and reads it and the topology schema keeps the topics a
 * topology names from colliding with it. The topology's name (lower-case letters, digits and "-", beginning with a
 * letter or digit: config/topology-schema.ts) keeps this a valid Kafka topic name, off Kafka's internal prefix "__".
 */
export function controlTopicName(topology: string): string {
  return `${topology}.control`;
}
