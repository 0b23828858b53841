import { createHash } from 'node:crypto';
import type { ModelCard } from '../../../../src/core/models/card.js';
import type { FeatureSchema } from '../../../../src/core/features/types.js';
import sample from './fixtures/card.sample.json' with { type: 'json' };

/** A card written by training/fraudtrain on the synthetic table (`bash training/run-tests.sh` makes the same kind). */
export const SAMPLE_CARD: unknown = sample;

export const FEATURES = [
  'amount',
  'tx_during_weekend',
  'tx_during_night',
  'customer_nb_tx_1d',
  'customer_avg_amount_1d',
  'customer_nb_tx_7d',
  'customer_avg_amount_7d',
  'customer_nb_tx_30d',
  'customer_avg_amount_30d',
  'terminal_nb_tx_1d',
  'terminal_risk_1d',
  'terminal_nb_tx_7d',
  'terminal_risk_7d',
  'terminal_nb_tx_30d',
  'terminal_risk_30d',
] as const;

export const SCHEMA: FeatureSchema = { version: 'card-baseline-v1+0123456789ab', names: FEATURES };

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Stand-in model bytes: the registry never parses ONNX, it only hashes. */
export function fakeModel(seed: string): Uint8Array {
  return new TextEncoder().encode(`onnx-bytes-for-${seed}`);
}

/** A valid card (the sample's metrics and provenance) for `name@version` describing `model`. */
export function makeCard(
  name: string,
  version: string,
  model: Uint8Array,
  overrides: Partial<Pick<ModelCard, 'rollbackTarget' | 'featureSchemaVersion' | 'owner'>> = {},
): ModelCard {
  const base = structuredClone(sample) as unknown as ModelCard;
  return {
    ...base,
    name,
    version,
    modelSha256: sha256(model),
    featureSchemaVersion: SCHEMA.version,
    input: { ...base.input, features: [...FEATURES] },
    rollbackTarget: null,
    ...overrides,
  };
}
