/** Writers of the simulator: files (JSON lines or CSV) and Kafka (Avro, Confluent wire format). */
export { simulateToFiles, type SimulateToFilesOptions, type SimulateToFilesResult } from './file-sink.js';
export {
  HOSTILE_KIND_HEADER,
  simulateToKafka,
  type SimulateToKafkaOptions,
  type SimulateToKafkaResult,
} from './kafka-sink.js';
export {
  DEFAULT_BROKERS,
  DEFAULT_LABELS_TOPIC,
  DEFAULT_PARTITIONS,
  DEFAULT_REGISTRY_URL,
  DEFAULT_TRANSACTIONS_TOPIC,
  kafkaSettingsFromEnv,
  kafkaSettingsFromTopology,
  simulatorKafkaConfig,
  splitBrokers,
  subjectFor,
  type SimulatorKafkaSettings,
} from './kafka-settings.js';
export { OutputFormat } from './rows.js';
export type { ProgressListener, SimulationProgress } from './progress.js';
export { formatSummary } from './summary-text.js';
