/**
 * One compacted topic per topology: `<topology>.control`, one partition (one key), the latest record kept forever.
 * Here, below both sides, because the Kafka adapter creates and reads it and the topology schema keeps the topics a
 * topology names from colliding with it.
 */
export function controlTopicName(topology: string): string {
  return `${topology}.control`;
}
