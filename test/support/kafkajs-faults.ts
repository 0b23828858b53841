/**
 * Faults injected into kafkajs's own classes, for integration tests on the real broker: the code paths kafkajs takes
 * when a broker restarts, made to happen at a chosen moment. Each patch returns its restore.
 */
import { createRequire } from 'node:module';
import type { Consumer, ConsumerConfig, Kafka } from 'kafkajs';
import { testKafka } from './stack.js';

/** kafkajs's own classes and errors: the methods patched below are the ones its consumers call. */
const kafkajsModule = createRequire(import.meta.url);
const Cluster = kafkajsModule('kafkajs/src/cluster/index.js') as {
  prototype: { findGroupCoordinator: (params: { groupId: string; coordinatorType?: number }) => Promise<unknown> };
};
const ConsumerGroup = kafkajsModule('kafkajs/src/consumer/consumerGroup.js') as {
  prototype: { fetch: (this: { groupId: string }, nodeId: number) => Promise<unknown> };
};
const { KafkaJSGroupCoordinatorNotFound, KafkaJSNoBrokerAvailableError } = kafkajsModule('kafkajs/src/errors.js') as {
  KafkaJSGroupCoordinatorNotFound: new (message: string) => Error;
  KafkaJSNoBrokerAvailableError: new () => Error;
};

/**
 * Makes kafkajs's group-coordinator lookup fail as it does while a broker restarts (every broker's error swallowed,
 * KafkaJSGroupCoordinatorNotFound thrown, which kafkajs does not retry) whenever `fails` says so, given the group and
 * how many lookups this client (each consumer has its own) has made. The real lookup, on the real broker, otherwise.
 */
export function failingLookups(fails: (groupId: string, lookup: number) => boolean): {
  readonly failed: string[];
  restore(): void;
} {
  const real = Cluster.prototype.findGroupCoordinator;
  const lookups = new WeakMap<object, number>();
  const failed: string[] = [];
  Cluster.prototype.findGroupCoordinator = async function (this: object, params) {
    if ((params.coordinatorType ?? 0) === 0) {
      const lookup = (lookups.get(this) ?? 0) + 1;
      lookups.set(this, lookup);
      if (fails(params.groupId, lookup)) {
        failed.push(params.groupId);
        throw new KafkaJSGroupCoordinatorNotFound('Failed to find group coordinator');
      }
    }
    return real.call(this, params);
  };
  return { failed, restore: () => (Cluster.prototype.findGroupCoordinator = real) };
}

/**
 * Makes the next fetch of the consumer of group `groupId` fail with KafkaJSNoBrokerAvailableError, as kafkajs's fetch
 * manager does when it knows no broker: an error kafkajs retries by restarting the consumer (a new group state, the
 * group joined again). The real fetch otherwise, and after that one.
 */
export function failingNextFetch(groupId: string): { readonly failed: () => boolean; restore(): void } {
  const real = ConsumerGroup.prototype.fetch;
  let failed = false;
  ConsumerGroup.prototype.fetch = async function (this: { groupId: string }, nodeId) {
    if (!failed && this.groupId === groupId) {
      failed = true;
      throw new KafkaJSNoBrokerAvailableError();
    }
    return real.call(this, nodeId);
  };
  return { failed: () => failed, restore: () => (ConsumerGroup.prototype.fetch = real) };
}

/** A client whose consumers the test can watch: the readers under test make their own, each with a group of its own. */
export function watchedKafka(): { kafka: Kafka; consumers: { groupId: string; consumer: Consumer }[] } {
  const kafka = testKafka();
  const consumers: { groupId: string; consumer: Consumer }[] = [];
  const make = kafka.consumer.bind(kafka);
  kafka.consumer = (config: ConsumerConfig) => {
    const consumer = make(config);
    consumers.push({ groupId: config.groupId, consumer });
    return consumer;
  };
  return { kafka, consumers };
}

/** Resolves once kafkajs has restarted `consumer` (a CRASH it restarts from, then the group joined again). */
export function restartedOnce(consumer: Consumer): Promise<void> {
  return new Promise((resolve) => {
    let crashed = false;
    consumer.on(consumer.events.CRASH, ({ payload }) => (crashed ||= payload.restart));
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (crashed) resolve();
    });
  });
}
