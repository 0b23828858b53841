import { findSchemaDir, readContractSchema } from '../adapters/registry/contract-schemas.js';
import { loadTopology } from '../config/index.js';
import { DeadLetterReason, ScoreReasonCode } from '../core/contract/reasons.js';
import type { AvroRecord } from './avro-fields.js';
import type { ContractInputs } from './render-contract.js';

/**
 * What the contract document is rendered from: the topology file (its `contract` section), the Avro schemas and the
 * closed vocabularies. The topology is read with the environment, as every command reads it: a topology may require
 * variables (the secured one has no default for its addresses). The document renders none of the connection settings
 * those variables fill, only names, topics, the batch window and the decision thresholds.
 */
export function readContractInputs(
  topologyFile: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  schemaDir: string = findSchemaDir(),
): ContractInputs {
  const topology = loadTopology(topologyFile, env);
  if (!topology.contract) {
    throw new Error(
      `${topologyFile}: no contract section; add one (owner, onCall, rollbackAuthority, slo, errorBudget: see topologies/card-payments.yaml)`,
    );
  }
  const schema = (name: 'transaction' | 'label' | 'score' | 'dead-letter'): AvroRecord =>
    readContractSchema(name, schemaDir) as AvroRecord;
  return {
    topologyFile,
    topology,
    contract: topology.contract,
    schemas: {
      transaction: schema('transaction'),
      label: schema('label'),
      score: schema('score'),
      deadLetter: schema('dead-letter'),
    },
    deadLetterReasons: Object.values(DeadLetterReason),
    scoreReasonCodes: Object.values(ScoreReasonCode),
  };
}
