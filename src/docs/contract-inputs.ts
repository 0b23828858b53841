import { findSchemaDir, readContractSchema } from '../adapters/registry/contract-schemas.js';
import { loadTopology } from '../config/index.js';
import { DeadLetterReason, ScoreReasonCode } from '../core/contract/reasons.js';
import type { AvroRecord } from './avro-fields.js';
import type { ContractInputs } from './render-contract.js';

/**
 * What the contract document is rendered from: the topology file (its `contract` section), the Avro schemas and the
 * closed vocabularies. The environment is not consulted (`${VAR:-default}` takes the default), so the document is
 * the same on every machine.
 */
export function readContractInputs(topologyFile: string, schemaDir: string = findSchemaDir()): ContractInputs {
  const topology = loadTopology(topologyFile, {});
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
