/**
 * A topology of a run's own for load tests and live-stream measurements: the shipped topology renamed (topics,
 * group, key prefix named after the run), written to a file for child processes, and its topics created on the local
 * stack's Kafka.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { stringify as stringifyYaml } from 'yaml';
import { isolateTopology, loadTopology, type IsolationOverrides, type Topology } from '../../src/config/index.js';

export interface IsolatedTopology {
  readonly topology: Topology;
  /** The topology written to a file, for child processes (`fraudscore run`, the ceiling). */
  readonly file: string;
  readonly kafka: Kafka;
  /** Connected; the caller disconnects it. */
  readonly admin: Admin;
  /** Every topic created: input, output, labels, dead letters and the extra ones. */
  readonly topics: readonly string[];
}

export async function createIsolatedTopology(options: {
  /** The run's name: the topology's name, and so its topics' prefix. */
  readonly name: string;
  readonly overrides: IsolationOverrides;
  readonly clientId: string;
  readonly extraTopics?: (topology: Topology) => readonly string[];
}): Promise<IsolatedTopology> {
  const topology = isolateTopology(loadTopology('topologies/card-payments.yaml'), options.name, options.overrides);
  const file = join(mkdtempSync(join(tmpdir(), 'fraudscore-run-')), 'topology.yaml');
  writeFileSync(file, stringifyYaml(topology));
  const { input, output, labels, deadLetter } = topology.topics;
  const topics = [input, output, labels, deadLetter, ...(options.extraTopics?.(topology) ?? [])];
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: [...topology.kafka.brokers],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: topics.map((topic) => ({ topic, numPartitions: topology.topics.partitions })),
  });
  return { topology, file, kafka, admin, topics };
}
