import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ModelRejection,
  verifyCardSha,
  verifyFeatureSchema,
  verifyModel,
} from '../../../../src/core/models/verification.js';
import { fakeModel, makeCard, SCHEMA, sha256 } from './card-fixture.js';

/** The fix both feature-schema refusals give: a retrain would replay the card's settings, so the schema it has. */
const TRAIN_FOR_THE_TOPOLOGY =
  "train a model on a table backfilled with this topology's feature settings " +
  '(`fraudscore backfill --topology <topology file> ...`, then the trainer: training/README.md) and register it';

describe('model verification', () => {
  const model = fakeModel('3');
  const card = makeCard('card-fraud', '3', model);

  it('accepts the model the card describes, served with the schema it was trained on', () => {
    assert.deepEqual(verifyModel(card, sha256(model), SCHEMA), { ok: true });
  });

  it('refuses a tampered model with both hashes and the fix', () => {
    const tampered = Uint8Array.from(model);
    tampered[0] = (tampered[0] ?? 0) ^ 0xff;
    const actual = sha256(tampered);
    assert.deepEqual(verifyModel(card, actual, SCHEMA), {
      ok: false,
      code: ModelRejection.ModelShaMismatch,
      message:
        `model card-fraud@3: model.onnx sha256 is ${actual} but the card says ${card.modelSha256} — ` +
        'the artifact was modified after registration; registered versions are immutable: restore the registered bytes ' +
        '(the sha256 the card records) or register the model as a new version',
    });
  });

  it('refuses a model trained on another feature schema', () => {
    const old = makeCard('card-fraud', '3', model, { featureSchemaVersion: 'card-baseline-v1+aaaaaaaaaaaa' });
    assert.deepEqual(verifyModel(old, sha256(model), SCHEMA), {
      ok: false,
      code: ModelRejection.FeatureSchemaMismatch,
      message:
        'model card-fraud@3 was trained on feature schema card-baseline-v1+aaaaaaaaaaaa but the topology serves ' +
        `${SCHEMA.version} — ${TRAIN_FOR_THE_TOPOLOGY}, or pin a model trained on ${SCHEMA.version} ` +
        "(`fraudscore retrain` replays the card's backfill settings: it would give card-baseline-v1+aaaaaaaaaaaa again)",
    });
  });

  it('refuses a card whose feature order differs from the schema it claims', () => {
    const swapped = [...card.input.features];
    [swapped[0], swapped[1]] = [swapped[1] ?? '', swapped[0] ?? ''];
    const result = verifyFeatureSchema({ ...card, input: { ...card.input, features: swapped } }, SCHEMA);
    assert.equal(result.ok, false);
    assert.equal(result.ok ? '' : result.code, ModelRejection.FeatureOrderMismatch);
    assert.match(
      result.ok ? '' : result.message,
      /first differ at position 1 \(card: tx_during_weekend, schema: amount\)/,
    );
    assert.ok(
      !result.ok &&
        result.message.endsWith(
          'the card does not describe the feature schema it names, and registered versions are immutable: ' +
            `${TRAIN_FOR_THE_TOPOLOGY}, or pin another version`,
        ),
      result.ok ? '' : result.message,
    );
    const shorter = verifyFeatureSchema(
      { ...card, input: { ...card.input, features: swapped.slice(0, 14) } },
      {
        ...SCHEMA,
        names: swapped,
      },
    );
    assert.match(shorter.ok ? '' : shorter.message, /lists 14 input features but .* has 15; .* position 15/);
  });

  it('skips the schema check only when no schema is given', () => {
    const old = makeCard('card-fraud', '3', model, { featureSchemaVersion: 'other' });
    assert.deepEqual(verifyModel(old, sha256(model)), { ok: true });
  });

  it('refuses an edited card', () => {
    const result = verifyCardSha(card, 'a'.repeat(64), 'b'.repeat(64));
    assert.equal(result.ok ? '' : result.code, ModelRejection.CardShaMismatch);
    assert.match(result.ok ? '' : result.message, /card\.json sha256 is a{64} but the registry recorded b{64}/);
  });
});
