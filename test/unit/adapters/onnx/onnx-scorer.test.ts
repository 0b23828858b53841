import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createOnnxScorer, OnnxModelError, type ModelSignature } from '../../../../src/adapters/onnx/onnx-scorer.js';

// The demo model's graph: 15 float inputs named "input", probabilities [n, 2].
const ONNX = new Uint8Array(readFileSync('registry/card-fraud/5/model.onnx'));
const SIGNATURE: ModelSignature = {
  inputName: 'input',
  outputName: 'probabilities',
  positiveClassIndex: 1,
  featureCount: 15,
};

async function refusal(bytes: Uint8Array, signature: ModelSignature): Promise<OnnxModelError> {
  const error = await createOnnxScorer(bytes, signature).then(
    async (scorer) => {
      await scorer.close();
      return assert.fail('the session was handed out');
    },
    (e: unknown) => e,
  );
  assert.ok(error instanceof OnnxModelError, String(error));
  assert.ok(!error.message.includes('\n'), `one line: ${error.message}`);
  return error;
}

describe('the ONNX scorer: only a session that scores a trial batch is handed out', () => {
  it('scores a batch of the card width, one probability per row', async () => {
    const scorer = await createOnnxScorer(ONNX, SIGNATURE);
    try {
      const scores = await scorer.score(new Float32Array(3 * 15).fill(1), 3);
      assert.equal(scores.length, 3);
      for (const score of scores) assert.ok(score >= 0 && score <= 1, String(score));
    } finally {
      await scorer.close();
    }
  });

  it('refuses bytes that are no ONNX graph', async () => {
    const error = await refusal(new TextEncoder().encode('not a model'), SIGNATURE);
    assert.match(error.message, /^model\.onnx is not a model onnxruntime can load \(.+\)$/);
  });

  it('refuses an input or output name the graph lacks', async () => {
    const input = await refusal(ONNX, { ...SIGNATURE, inputName: 'features' });
    assert.equal(
      input.message,
      'model has inputs [input] but its card names "features"; the card does not describe this model',
    );
    const output = await refusal(ONNX, { ...SIGNATURE, outputName: 'scores' });
    assert.match(output.message, /^model has outputs \[.*probabilities.*\] but its card names "scores"/);
  });

  it('refuses a width the graph cannot score (a card listing fewer features than the graph takes)', async () => {
    const error = await refusal(ONNX, { ...SIGNATURE, featureCount: 14 });
    assert.match(error.message, /^model cannot score a batch of 14 features, the number its card lists \(.+\)$/);
  });
});
