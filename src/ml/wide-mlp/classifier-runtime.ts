// Runs an exported WideMLP classifier in ONNX Runtime: featurize, pad, infer, read labels and OOD scores.
import { readFile } from 'node:fs/promises';
import type * as ort from 'onnxruntime-node';
import { onnxRuntime } from '../onnx-runtime.ts';
import type { OnnxModelHandle, OnnxSessionPool, SessionThreadOptions } from '../onnx-session-pool.ts';
import { logSumExp } from '../vector-math.ts';
import { type FeaturizerConfig, featurize } from './features.ts';
import { loadWideMlpMetadata, type WideMlpMetadata } from './metadata.ts';

export interface Classification {
  /** Most probable label. */
  readonly label: string;
  /** Calibrated probabilities, in the order of the model's labels. */
  readonly probabilities: Float32Array;
  /** Calibrated probability of `label`. */
  readonly confidence: number;
  /** 1 − confidence: the classifier's estimate that `label` is wrong (see calibration.ts `oodScore`). */
  readonly ood: number;
  /** Energy −T·logsumexp(raw logits / T); higher = more out-of-distribution. */
  readonly energy: number;
}

/**
 * The `feature_ids` / `feature_mask` feeds of the project's n-gram models for texts: `width` columns, or as many as
 * the longest text needs (at least 1). A fixed width lets concurrent requests share a batch.
 */
export function featureFeeds(
  texts: readonly string[],
  featurizer: FeaturizerConfig,
  width?: number,
): Record<string, ort.Tensor> {
  const features = texts.map((t) => featurize(t, featurizer));
  const n = width ?? Math.max(1, ...features.map((f) => f.length));
  const ids = new BigInt64Array(texts.length * n);
  const mask = new Float32Array(texts.length * n);
  features.forEach((f, row) => {
    const used = Math.min(n, f.length);
    for (let k = 0; k < used; k++) {
      ids[row * n + k] = BigInt(f[k] ?? 0);
      mask[row * n + k] = 1;
    }
  });
  const { Tensor } = onnxRuntime();
  return {
    feature_ids: new Tensor('int64', ids, [texts.length, n]),
    feature_mask: new Tensor('float32', mask, [texts.length, n]),
  };
}

/** Feeds for texts, padded to the longest (at least 1 column). */
export function buildFeeds(texts: readonly string[], metadata: WideMlpMetadata): Record<string, ort.Tensor> {
  return featureFeeds(texts, metadata.featurizer);
}

/** A loaded classifier; `release` gives its session back to the pool. */
export class WideMlpClassifier {
  readonly handle: OnnxModelHandle;
  readonly metadata: WideMlpMetadata;

  constructor(handle: OnnxModelHandle, metadata: WideMlpMetadata) {
    this.handle = handle;
    this.metadata = metadata;
  }

  /** Loads an exported model file (absolute path) through the pool and reads its metadata. */
  static async load(
    pool: OnnxSessionPool,
    file: string,
    options: SessionThreadOptions = {},
  ): Promise<WideMlpClassifier> {
    const metadata = loadWideMlpMetadata(await readFile(file));
    return new WideMlpClassifier(await pool.acquire(file, options), metadata);
  }

  /** Classifies a batch of texts in one inference. */
  async classify(texts: readonly string[]): Promise<Classification[]> {
    if (texts.length === 0) return [];
    const out = await this.handle.run(buildFeeds(texts, this.metadata));
    const logits = out.logits?.data;
    const probs = out.probabilities?.data;
    if (!(logits instanceof Float32Array) || !(probs instanceof Float32Array)) {
      throw new Error(`model ${this.handle.file} did not return float32 logits and probabilities`);
    }
    const { labels, temperature } = this.metadata;
    const c = labels.length;
    return texts.map((_, row) => {
      const p = probs.slice(row * c, row * c + c);
      let best = 0;
      for (let k = 1; k < c; k++) if ((p[k] ?? 0) > (p[best] ?? 0)) best = k;
      const confidence = p[best] ?? 0;
      return {
        label: labels[best] ?? '',
        probabilities: p,
        confidence,
        ood: 1 - confidence,
        energy: -temperature * logSumExp(logits.subarray(row * c, row * c + c)),
      };
    });
  }

  async release(): Promise<void> {
    await this.handle.release();
  }
}
