import type { Topology } from '../config/index.js';
import type { FeatureSchema } from '../core/features/types.js';
import { openFsRegistry } from '../adapters/model-registry/index.js';
import { createOnnxScorer } from '../adapters/onnx/onnx-scorer.js';
import type { ServingModel } from './score-batch.js';

/**
 * Loads the topology's model from the registry: SHA-256 of the artifact and the feature schema are verified before a
 * single record is scored; a mismatch stops start-up with the reason and the fix.
 */
export async function loadServingModel(topology: Topology, featureSchema: FeatureSchema): Promise<ServingModel> {
  const registry = openFsRegistry(topology.model.registry);
  const loaded = await registry.load(topology.model.name, topology.model.version, { featureSchema });
  const { card } = loaded;
  const scorer = await createOnnxScorer(loaded.modelBytes, {
    inputName: card.input.name,
    outputName: card.output.name,
    positiveClassIndex: card.output.positiveClassIndex,
    featureCount: card.input.features.length,
  });
  return {
    name: card.name,
    version: card.version,
    featureSchemaVersion: card.featureSchemaVersion,
    scorer,
    ...(card.monitoring ? { monitoring: card.monitoring } : {}),
  };
}
