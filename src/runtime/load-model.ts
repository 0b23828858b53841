import type { Topology } from '../config/index.js';
import type { FeatureSchema } from '../core/features/types.js';
import { openFsRegistry, resolveModelRef } from '../adapters/model-registry/index.js';
import { createOnnxScorer } from '../adapters/onnx/onnx-scorer.js';
import type { ServingModel } from './serving-model.js';

/**
 * Loads a model version from the registry: SHA-256 of the artifact and the feature schema are verified before a
 * single record is scored; a mismatch throws with the reason and the fix.
 */
export async function loadModel(
  registryDir: string,
  name: string,
  version: string,
  featureSchema: FeatureSchema,
): Promise<ServingModel> {
  const registry = openFsRegistry(registryDir);
  const loaded = await registry.load(name, version, { featureSchema });
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
    rollbackTarget: card.rollbackTarget,
    scorer,
    ...(card.monitoring ? { monitoring: card.monitoring } : {}),
  };
}

/** The topology's model (`model.name@model.version`, or the registry's champion); refused at start-up on mismatch. */
export async function loadServingModel(topology: Topology, featureSchema: FeatureSchema): Promise<ServingModel> {
  return loadModel(topology.model.registry, topology.model.name, topology.model.version, featureSchema);
}

/**
 * `name@version` of the topology's model as the registry holds it (the champion's version for "champion"), read from
 * the registry's index alone: what `fraudscore lint` checks, without loading the model. Fails as loading would.
 */
export async function registeredServingModel(topology: Topology): Promise<string> {
  return resolveModelRef(openFsRegistry(topology.model.registry), topology.model);
}
