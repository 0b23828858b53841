import { userInfo, hostname } from 'node:os';
import type { Kafka } from 'kafkajs';
import { loadTopology, type Topology } from '../config/index.js';
import { createKafka } from '../adapters/kafka/kafka-client.js';
import { createLogger, logLevelFor, type Logger } from '../adapters/observability/logger.js';
import { controlOperations, type ControlOperations, type ControlOperationsOptions } from './operations.js';

/** Who made a change: --actor, else $FRAUDSCORE_ACTOR, else the OS user at the host. */
export function resolveActor(actor: string | undefined, env = process.env): string {
  if (actor) return actor;
  if (env['FRAUDSCORE_ACTOR']) return env['FRAUDSCORE_ACTOR'];
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): the host still says where it came from.
  }
  return `${user}@${hostname()}`;
}

export interface ControlSession {
  readonly topology: Topology;
  readonly kafka: Kafka;
  readonly ops: ControlOperations;
  /** Warnings of the command's long reads (a reader run again after a lost coordinator), on stderr. */
  readonly log: Logger;
}

export function openControl(
  topologyFile: string,
  actor?: string,
  hooks: Pick<ControlOperationsOptions, 'onControlTopicCreated'> = {},
): ControlSession {
  const topology = loadTopology(topologyFile);
  const kafka = createKafka(topology, createLogger({ name: 'fraudscore-cli', level: logLevelFor('error') }));
  return {
    topology,
    kafka,
    ops: controlOperations(topology, kafka, { ...hooks, actor: resolveActor(actor) }),
    log: createLogger({ name: topology.name, level: logLevelFor('warn'), destination: process.stderr }),
  };
}
