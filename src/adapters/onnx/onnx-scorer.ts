import * as ort from 'onnxruntime-node';

export interface ModelSignature {
  readonly inputName: string;
  readonly outputName: string;
  /** Column of the probability output holding P(fraud). */
  readonly positiveClassIndex: number;
  readonly featureCount: number;
}

export interface Scorer {
  /** Scores `rows` feature vectors laid out row-major in `features`; returns the raw P(fraud) per row, unchecked. */
  score(features: Float32Array, rows: number): Promise<Float32Array>;
  close(): Promise<void>;
}

/**
 * What only an ONNX session tells: the bytes are no graph onnxruntime can load, the card names an input or output the
 * graph lacks, or a batch of the card's width does not run. The registry's hashes cannot catch it (they vouch for the
 * bytes registered, not for what they are).
 */
export class OnnxModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxModelError';
  }
}

// Rows of zeros scored once before a session is handed out: a model that cannot score a batch gets no traffic.
const TRIAL_ROWS = 8;

function reason(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, '; ');
}

/**
 * One ONNX session per model version; the whole batch is one tensor, one run. Refused (OnnxModelError) unless the
 * session loads, has the card's input and output, and scores a trial batch of `featureCount` columns.
 */
export async function createOnnxScorer(modelBytes: Uint8Array, signature: ModelSignature): Promise<Scorer> {
  let session: ort.InferenceSession;
  try {
    session = await openSession(modelBytes);
  } catch (error) {
    throw new OnnxModelError(`model.onnx is not a model onnxruntime can load (${reason(error)})`);
  }
  const scorer = sessionScorer(session, signature);
  try {
    if (!session.inputNames.includes(signature.inputName)) {
      throw new OnnxModelError(
        `model has inputs [${session.inputNames.join(', ')}] but its card names "${signature.inputName}"; the card does not describe this model`,
      );
    }
    if (!session.outputNames.includes(signature.outputName)) {
      throw new OnnxModelError(
        `model has outputs [${session.outputNames.join(', ')}] but its card names "${signature.outputName}"; the card does not describe this model`,
      );
    }
    try {
      await scorer.score(new Float32Array(TRIAL_ROWS * signature.featureCount), TRIAL_ROWS);
    } catch (error) {
      throw new OnnxModelError(
        `model cannot score a batch of ${signature.featureCount} features, the number its card lists (${reason(error)})`,
      );
    }
  } catch (error) {
    await scorer.close().catch(() => undefined);
    throw error;
  }
  return scorer;
}

function openSession(modelBytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(modelBytes, {
    // The worker's own thread is busy with everything else; a second thread halves the wall time of a tree
    // ensemble (card-fraud@5: 500 rows 5.9 -> 3.3 ms, ~10 % more CPU; load-tests/throughput.ts: model stage 9.4 ->
    // 6.2 ms per batch). Not spinning: the pool's threads sleep between batches instead of burning a shared core.
    intraOpNumThreads: 2,
    interOpNumThreads: 1,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
    graphOptimizationLevel: 'all',
    // A 1000 × 15 input needs kilobytes: the CPU arena's growth in large chunks only adds resident memory.
    enableCpuMemArena: false,
  });
}

function sessionScorer(session: ort.InferenceSession, signature: ModelSignature): Scorer {
  return {
    async score(features, rows) {
      if (rows === 0) return new Float32Array(0);
      const input = new ort.Tensor('float32', features, [rows, signature.featureCount]);
      // Fetch only the probabilities: asking for the label output makes onnxruntime warn on every run.
      const output = await session.run({ [signature.inputName]: input }, [signature.outputName]);
      const tensor = output[signature.outputName];
      if (!tensor) throw new Error(`model returned no "${signature.outputName}" output`);
      if (Number(tensor.dims[0]) !== rows) throw new Error(`model returned ${tensor.dims[0]} rows for ${rows}`);
      const data = tensor.data as Float32Array;
      const columns = tensor.dims.length === 2 ? Number(tensor.dims[1]) : 1;
      const scores = new Float32Array(rows);
      for (let row = 0; row < rows; row++) {
        scores[row] = data[row * columns + (columns === 1 ? 0 : signature.positiveClassIndex)] ?? Number.NaN;
      }
      return scores;
    },
    async close() {
      await session.release();
    },
  };
}
