import { parseTopology, type Topology } from '../../src/config/index.js';

/** A valid topology for start-up error tests; `extra` adds settings inside the kafka, redis and registry blocks. */
export function startupTopology(
  extra: {
    brokers?: string;
    kafka?: string;
    redis?: string;
    redisUrl?: string;
    registry?: string;
    registryUrl?: string;
  } = {},
): Topology {
  return parseTopology(
    `name: t
kafka: { brokers: ['${extra.brokers ?? 'b1:9093'}'] ${extra.kafka ?? ''} }
schemaRegistry: { url: '${extra.registryUrl ?? 'https://sr:8443/apis/ccompat/v7'}' ${extra.registry ?? ''} }
redis: { url: '${extra.redisUrl ?? 'redis://r:6379'}' ${extra.redis ?? ''} }
topics: { input: i, output: o, labels: l, deadLetter: d }
consumerGroup: g
batch: { maxRecords: 100, maxWaitMs: 100 }
features: { set: card-baseline-v1, labelDelayDays: 7 }
model: { registry: ./registry, name: card-fraud, version: champion }
decision: { blockAt: 0.5, reviewAt: 0.1, fallbackScore: 0.05 }
metrics: { port: 0 }
`,
    't.yaml',
    {},
  );
}

/** Every connection secured, secrets from an environment variable or a file. */
export const SECURED_TOPOLOGY = startupTopology({
  kafka: `, ssl: { caFile: /etc/ca.pem }, sasl: { mechanism: scram-sha-512, username: svc, password: { env: KAFKA_PW } }`,
  redis: `, username: svc, password: { file: /run/secrets/redis }`,
  registry: `, username: svc, password: { env: SR_PW }`,
});
