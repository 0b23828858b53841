import { connect } from 'node:net';
import kafkajs, { Kafka, logLevel, type Admin } from 'kafkajs';
import { STACK } from '../stack.js';

// Not among the names Node finds in kafkajs's CommonJS exports: read from the module object.
const { ConfigResourceTypes, ConfigSource } = kafkajs;

/** The broker refuses new connections from this address while the limit holds: every local client's address. */
const LIMITED_ADDRESS = '127.0.0.1';
/** The limit's own admin connects from another loopback address, which the limit never refuses. */
const CONTROL_ADDRESS = '127.0.0.2';
const OVERRIDES = 'max.connections.per.ip.overrides';

/**
 * The drill broker's per-address connection limit (Kafka's dynamic broker config `max.connections.per.ip.overrides`),
 * lowered below what 127.0.0.1 already holds: the broker closes every NEW connection from it at once ("too many
 * connections"), while the connections already open carry on. A client that keeps its connections (a worker's
 * consumer and producer) sees nothing; one that connects afresh for each call (an admin client) fails.
 *
 * The limit is set and lifted through an admin connected from 127.0.0.2, so that a limit left behind (a drill killed
 * while it held) is lifted by the next open(), even though 127.0.0.1 cannot connect then. The broker's other
 * per-broker dynamic configs are kept as found (alterConfigs replaces all of them).
 */
export class ConnectionLimit {
  private constructor(
    private readonly admin: Admin,
    private readonly node: string,
    private readonly others: readonly { name: string; value: string }[],
  ) {}

  static async open(): Promise<ConnectionLimit> {
    const admin = new Kafka({
      clientId: 'fraudscore-drill-connection-limit',
      brokers: STACK.brokers,
      logLevel: logLevel.NOTHING,
      socketFactory: ({ host, port, onConnect }) => connect({ host, port, localAddress: CONTROL_ADDRESS }, onConnect),
    }).admin();
    await admin.connect();
    try {
      const { brokers } = await admin.describeCluster();
      if (brokers.length !== 1) throw new Error(`the drill stack has one broker, found ${brokers.length}`);
      const node = String(brokers[0]?.nodeId);
      const { resources } = await admin.describeConfigs({
        resources: [{ type: ConfigResourceTypes.BROKER, name: node }],
        includeSynonyms: false,
      });
      const dynamic = (resources[0]?.configEntries ?? []).filter(
        (entry) => entry.configSource === ConfigSource.DYNAMIC_BROKER_CONFIG && entry.configName !== OVERRIDES,
      );
      const secret = dynamic.find((entry) => entry.isSensitive);
      if (secret) {
        throw new Error(`broker ${node} has the sensitive dynamic config ${secret.configName}, which cannot be kept`);
      }
      const limit = new ConnectionLimit(
        admin,
        node,
        dynamic.map((entry) => ({ name: entry.configName, value: entry.configValue })),
      );
      await limit.lift();
      return limit;
    } catch (error) {
      await admin.disconnect();
      throw error;
    }
  }

  /** From now on the broker refuses every new connection from 127.0.0.1. */
  async hold(): Promise<void> {
    await this.alter([...this.others, { name: OVERRIDES, value: `${LIMITED_ADDRESS}:1` }]);
  }

  /** New connections from 127.0.0.1 are accepted again (idempotent). */
  async lift(): Promise<void> {
    await this.alter([...this.others]);
  }

  /** Whether a fresh client from 127.0.0.1 can connect now (one attempt, no retries). */
  async accepts(): Promise<boolean> {
    const probe = new Kafka({
      clientId: 'fraudscore-drill-probe',
      brokers: STACK.brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).admin();
    try {
      await probe.connect();
      await probe.describeCluster();
      return true;
    } catch {
      return false;
    } finally {
      await probe.disconnect().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    try {
      await this.lift();
    } finally {
      await this.admin.disconnect();
    }
  }

  private async alter(configEntries: { name: string; value: string }[]): Promise<void> {
    await this.admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.BROKER, name: this.node, configEntries }],
    });
  }
}
