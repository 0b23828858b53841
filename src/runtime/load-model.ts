import { topologyFeatureSchema, type Topology } from '../config/index.js';
import type { FeatureSchema } from '../core/features/types.js';
import type { ModelCard } from '../core/models/card.js';
import { formatModelRef } from '../core/models/ref.js';
import { openFsRegistry } from '../adapters/model-registry/index.js';
import { createOnnxScorer, OnnxModelError, type Scorer } from '../adapters/onnx/onnx-scorer.js';
import type { ServingModel } from './serving-model.js';

/** The card's model as a scorer that has scored a trial batch; a refusal (OnnxModelError) names the version. */
function sessionFor(modelBytes: Uint8Array, card: ModelCard): Promise<Scorer> {
  const signature = {
    inputName: card.input.name,
    outputName: card.output.name,
    positiveClassIndex: card.output.positiveClassIndex,
    featureCount: card.input.features.length,
  };
  return createOnnxScorer(modelBytes, signature).catch((error: unknown) => {
    if (!(error instanceof OnnxModelError)) throw error;
    throw new OnnxModelError(`model ${formatModelRef({ name: card.name, version: card.version })}: ${error.message}`);
  });
}

/**
 * Throws OnnxModelError unless `modelBytes` is a graph onnxruntime loads, with the input and output `card` names, that
 * scores a trial batch of the card's width: what registering checks, so that no worker is the first to find out.
 */
export async function checkScorable(modelBytes: Uint8Array, card: ModelCard): Promise<void> {
  await (await sessionFor(modelBytes, card)).close();
}

/**
 * Loads a model version from the registry, before a single record is scored: the registry holds the version,
 * card.json and model.onnx have the SHA-256 it registered, the card's feature schema and order are `featureSchema`'s,
 * and the session loads and scores a trial batch. A refusal throws with the reason and the fix (the session's,
 * OnnxModelError, names the version).
 */
export async function loadModel(
  registryDir: string,
  name: string,
  version: string,
  featureSchema: FeatureSchema,
): Promise<ServingModel> {
  const { card, modelBytes } = await openFsRegistry(registryDir).load(name, version, { featureSchema });
  const scorer = await sessionFor(modelBytes, card);
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
 * `name@version` of the topology's model (the champion's version for "champion"), loaded as start-up loads it
 * (verified against the feature schema the topology computes, its session created and a trial batch scored), then
 * released: what `fraudscore lint` checks, failing as start-up would.
 */
export async function verifiedServingModel(topology: Topology): Promise<string> {
  const model = await loadServingModel(topology, topologyFeatureSchema(topology));
  await model.scorer.close();
  return formatModelRef({ name: model.name, version: model.version });
}
