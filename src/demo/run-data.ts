import { Kafka, logLevel } from 'kafkajs';
import type { Topology } from '../config/index.js';
import { controlTopicName } from '../adapters/kafka/control/index.js';
import { createRedis } from '../adapters/redis/connect.js';

/**
 * Removes what a demo run made on the local stack, all of it named by its run id: its topics (those that exist: a
 * run stopped early made only some), its consumer groups (once empty) and its Redis keys (everything under its key
 * prefix: the feature state, bounds and worker statuses).
 */
export async function removeRunData(topology: Topology): Promise<void> {
  const kafka = new Kafka({
    clientId: 'fraudscore-demo-cleanup',
    brokers: [...topology.kafka.brokers],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { input, output, labels, deadLetter } = topology.topics;
    const existing = new Set(await admin.listTopics());
    const topics = [input, output, labels, deadLetter, controlTopicName(topology.name)].filter((t) => existing.has(t));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    const { consumerGroup } = topology;
    await admin
      .deleteGroups([consumerGroup, `${consumerGroup}.reader`, `${consumerGroup}.evaluator`])
      .catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
  const redis = createRedis(topology);
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${topology.redis.keyPrefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
