import { topologyFeatureSchema, type Topology } from '../config/index.js';
import type { FeatureSchema } from '../core/features/types.js';
import { formatModelRef } from '../core/models/ref.js';
import { openFsRegistry, type LoadedModel } from '../adapters/model-registry/index.js';
import { createOnnxScorer } from '../adapters/onnx/onnx-scorer.js';
import type { ServingModel } from './serving-model.js';

/**
 * A model version's bytes, verified: the registry holds the version, card.json and model.onnx have the SHA-256 it
 * registered, and the card's feature schema and order are `featureSchema`'s. A mismatch throws with the reason and
 * the fix. Everything start-up checks before the ONNX session exists.
 */
function verifiedArtifacts(
  registryDir: string,
  name: string,
  version: string,
  featureSchema: FeatureSchema,
): Promise<LoadedModel> {
  return openFsRegistry(registryDir).load(name, version, { featureSchema });
}

/** Loads a model version from the registry: verified (verifiedArtifacts) before a single record is scored. */
export async function loadModel(
  registryDir: string,
  name: string,
  version: string,
  featureSchema: FeatureSchema,
): Promise<ServingModel> {
  const { card, modelBytes } = await verifiedArtifacts(registryDir, name, version, featureSchema);
  const scorer = await createOnnxScorer(modelBytes, {
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
 * `name@version` of the topology's model (the champion's version for "champion"), verified as start-up verifies it
 * against the feature schema the topology computes, without creating the ONNX session: what `fraudscore lint`
 * checks, failing as loading would. Only what a session tells is left to start-up (bytes that are no ONNX graph,
 * input or output names the graph lacks).
 */
export async function verifiedServingModel(topology: Topology): Promise<string> {
  const { name, version, registry } = topology.model;
  const { entry } = await verifiedArtifacts(registry, name, version, topologyFeatureSchema(topology));
  return formatModelRef({ name, version: entry.version });
}
