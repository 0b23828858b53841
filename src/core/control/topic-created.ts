import { CONTROL_TOPIC_SETTINGS, controlTopicName } from './topic-name.js';

/**
 * What a command says when it created the control topic: none existed, so no change was on record and every worker
 * served what the topology file says. An operator who expected a serving state (a kill switch on, a rollout live) learns
 * here that it was not there, perhaps because the topic was deleted or the topology renamed.
 */
export function controlTopicCreatedLine(topology: string): string {
  const { partitions, cleanupPolicy, retentionMs } = CONTROL_TOPIC_SETTINGS;
  return (
    `created the control topic ${controlTopicName(topology)} (${partitions} partition, ` +
    `cleanup.policy=${cleanupPolicy}, retention.ms=${retentionMs}): it did not exist, so no change was on record ` +
    'and the serving state started empty, from the topology file'
  );
}
