// Batch-1 latency of an exported classifier in ONNX Runtime, checked against the trainer's probabilities.
import { OnnxSessionPool } from '../../ml/onnx-session-pool.ts';
import { WideMlpClassifier } from '../../ml/wide-mlp/classifier-runtime.ts';
import { type LatencySummary, summarizeLatency } from '../metrics.ts';

export interface LatencyMetrics extends LatencySummary {
  /** Largest |ONNX − trainer| calibrated probability over the measured texts (export parity check). */
  readonly maxProbabilityDiff: number;
  readonly method: string;
}

/** Batch-1 latency (featurize + ONNX Runtime inference) through OnnxSessionPool + WideMlpClassifier. */
export async function measureLatency(
  file: string,
  texts: readonly string[],
  expected: readonly Float64Array[],
): Promise<LatencyMetrics> {
  const pool = new OnnxSessionPool();
  try {
    const classifier = await WideMlpClassifier.load(pool, file);
    for (let i = 0; i < Math.min(20, texts.length); i++) await classifier.classify([texts[i] ?? '']);
    const times: number[] = [];
    let maxDiff = 0;
    for (let i = 0; i < texts.length; i++) {
      const start = performance.now();
      const [result] = await classifier.classify([texts[i] ?? '']);
      times.push(performance.now() - start);
      const want = expected[i];
      if (result !== undefined && want !== undefined) {
        for (let k = 0; k < want.length; k++) {
          maxDiff = Math.max(maxDiff, Math.abs((result.probabilities[k] ?? 0) - (want[k] ?? 0)));
        }
      }
    }
    await classifier.release();
    return {
      ...summarizeLatency(times),
      maxProbabilityDiff: maxDiff,
      method:
        'sequential batch-1 classify() (featurize + ONNX Runtime, 1 intra-op thread) over test texts, ' +
        'after 20 warm-up calls',
    };
  } finally {
    await pool.close();
  }
}
