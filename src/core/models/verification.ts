import type { FeatureSchema } from '../features/types.js';
import type { ModelCard } from './card.js';

/** Why a model may not be served. A closed vocabulary: alerts and tests key on it; the message explains. */
export const ModelRejection = {
  ModelShaMismatch: 'MODEL_SHA_MISMATCH',
  CardShaMismatch: 'CARD_SHA_MISMATCH',
  FeatureSchemaMismatch: 'FEATURE_SCHEMA_MISMATCH',
  FeatureOrderMismatch: 'FEATURE_ORDER_MISMATCH',
} as const;
export type ModelRejection = (typeof ModelRejection)[keyof typeof ModelRejection];

export type Verification =
  { readonly ok: true } | { readonly ok: false; readonly code: ModelRejection; readonly message: string };

const OK: Verification = Object.freeze({ ok: true });

function label(card: Pick<ModelCard, 'name' | 'version'>): string {
  return `model ${card.name}@${card.version}`;
}

/**
 * How to get a model a topology can serve. A model's feature schema is fixed by the table it was trained on, and that
 * by the settings the backfill ran with; `fraudscore retrain` replays the card's own settings, so it cannot change it.
 */
const TRAIN_FOR_THIS_TOPOLOGY =
  "train a model on a table backfilled with this topology's feature settings (`fraudscore backfill --topology " +
  '<topology file> ...`, then the trainer: training/README.md) and register it';

/** The model bytes are the ones the card was written for. */
export function verifyModelSha(
  card: Pick<ModelCard, 'name' | 'version' | 'modelSha256'>,
  modelSha256: string,
): Verification {
  if (modelSha256 === card.modelSha256) return OK;
  return {
    ok: false,
    code: ModelRejection.ModelShaMismatch,
    message:
      `${label(card)}: model.onnx sha256 is ${modelSha256} but the card says ${card.modelSha256} — ` +
      'the artifact was modified after registration; registered versions are immutable: restore the registered bytes ' +
      '(the sha256 the card records) or register the model as a new version',
  };
}

/** The card's bytes are the ones the registry recorded when the version was registered. */
export function verifyCardSha(
  card: Pick<ModelCard, 'name' | 'version'>,
  cardSha256: string,
  registeredSha256: string,
): Verification {
  if (cardSha256 === registeredSha256) return OK;
  return {
    ok: false,
    code: ModelRejection.CardShaMismatch,
    message:
      `${label(card)}: card.json sha256 is ${cardSha256} but the registry recorded ${registeredSha256} — ` +
      'the card was edited after registration; registered versions are immutable: register a new version instead',
  };
}

/**
 * The model was trained on the features this topology computes, in the same order. The version alone should
 * decide (it hashes names and order), but the names are compared too: a card is hand-editable and a silent column
 * swap would score every transaction with the wrong inputs.
 */
export function verifyFeatureSchema(
  card: Pick<ModelCard, 'name' | 'version' | 'featureSchemaVersion' | 'input'>,
  served: FeatureSchema,
): Verification {
  if (card.featureSchemaVersion !== served.version) {
    return {
      ok: false,
      code: ModelRejection.FeatureSchemaMismatch,
      message:
        `${label(card)} was trained on feature schema ${card.featureSchemaVersion} but the topology serves ` +
        `${served.version} — ${TRAIN_FOR_THIS_TOPOLOGY}, or pin a model trained on ${served.version} ` +
        `(\`fraudscore retrain\` replays the card's backfill settings: it would give ${card.featureSchemaVersion} again)`,
    };
  }
  const trained = card.input.features;
  const firstDifference = trained.findIndex((name, i) => name !== served.names[i]);
  if (trained.length !== served.names.length || firstDifference >= 0) {
    const at = firstDifference >= 0 ? firstDifference : Math.min(trained.length, served.names.length);
    return {
      ok: false,
      code: ModelRejection.FeatureOrderMismatch,
      message:
        `${label(card)} lists ${trained.length} input features but feature schema ${served.version} has ` +
        `${served.names.length}; they first differ at position ${at + 1} ` +
        `(card: ${trained[at] ?? 'nothing'}, schema: ${served.names[at] ?? 'nothing'}) — ` +
        'the card does not describe the feature schema it names, and registered versions are immutable: ' +
        `${TRAIN_FOR_THIS_TOPOLOGY}, or pin another version`,
    };
  }
  return OK;
}

/** Everything that must hold before a model scores a single record. */
export function verifyModel(card: ModelCard, modelSha256: string, served?: FeatureSchema): Verification {
  const sha = verifyModelSha(card, modelSha256);
  if (!sha.ok || served === undefined) return sha;
  return verifyFeatureSchema(card, served);
}
