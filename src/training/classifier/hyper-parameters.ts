// The WideMLP classifier tasks' training settings: defaults, and the per-task values the built-in models use.
import type { TaskDataset } from '../datasets/index.ts';
import type { WideMlpTrainingSettings } from '../trainer/reproduce.ts';

/** Every training setting; recorded in the model card. */
export interface HyperParameters extends WideMlpTrainingSettings {
  readonly buckets: number;
  readonly wordNgrams: number;
  readonly charNgramMin: number;
  readonly charNgramMax: number;
  readonly maxFeatures: number;
  readonly maxChars: number;
}

/** Defaults shared by every task; `TASK_DEFAULTS` overrides some per task. */
export const DEFAULT_HYPER_PARAMETERS: HyperParameters = {
  buckets: 1 << 15,
  embeddingDim: 32,
  hiddenDim: 64,
  epochs: 20,
  learningRate: 0.002,
  batchSize: 32,
  weightDecay: 0.01,
  patience: 3,
  wordNgrams: 2,
  charNgramMin: 3,
  charNgramMax: 5,
  maxFeatures: 1024,
  maxChars: 2048,
};

/**
 * Per-task defaults: the settings the built-in models in models/ were trained with (chosen by validation
 * accuracy / validation recall and false-positive rate, never by test metrics).
 */
export const TASK_DEFAULTS: Record<
  TaskDataset['task'],
  { readonly hyper: Partial<HyperParameters>; readonly targetRecall: number; readonly threshold?: number }
> = {
  domain: { hyper: {}, targetRecall: 0.97 },
  jailbreak: { hyper: {}, targetRecall: 0.97 },
  guard: { hyper: { embeddingDim: 16, maxFeatures: 512, maxChars: 1024 }, targetRecall: 0.97 },
};
