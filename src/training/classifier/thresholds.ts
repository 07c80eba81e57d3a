// The jailbreak classifier's detection threshold, chosen on validation for a target recall, and its held-out rates.
import type { LabelledText } from '../datasets/index.ts';
import { JAILBREAK_REFERENCE_NEGATIVES } from '../datasets/jailbreak.ts';
import { falsePositiveCap } from '../datasets/jailbreak-threshold.ts';
import { detectionRates } from '../metrics.ts';

/** Threshold on P(unsafe) = 1 − P(benign) chosen on validation, and its held-out detection rates. */
export interface ThresholdMetrics {
  readonly threshold: number;
  readonly targetRecall: number;
  /** Benign sources of the target false-positive rate: xstest-safe and the benign samples (not deepset). */
  readonly referenceNegativeSources: readonly string[];
  readonly validation: {
    readonly recall: number;
    readonly falsePositiveRate: number;
    readonly referenceFalsePositiveRate: number;
  };
  readonly test: {
    readonly recall: number;
    /** Over every benign test text, deepset's benign prompts included. */
    readonly falsePositiveRate: number;
    /** Over the benign test texts of `referenceNegativeSources`. */
    readonly referenceFalsePositiveRate: number;
    readonly referenceNegatives: number;
    readonly positives: number;
    readonly negatives: number;
    /** Recall on the attacks of each source. */
    readonly recallBySource: Record<string, { readonly recall: number; readonly examples: number }>;
    /** False-positive rate on the benign texts of each source. */
    readonly falsePositiveRateBySource: Record<string, { readonly rate: number; readonly examples: number }>;
  };
}

const rates = detectionRates;

/** The highest threshold whose validation recall reaches `targetRecall` (lowest FPR at that recall). */
export function chooseThreshold(
  scores: readonly number[],
  rows: readonly LabelledText[],
  targetRecall: number,
): number {
  const positives = rows
    .map((row, i) => (row.label === 1 ? (scores[i] ?? 0) : Number.NaN))
    .filter((s) => !Number.isNaN(s))
    .sort((a, b) => b - a);
  if (positives.length === 0) return 0.5;
  const needed = Math.max(1, Math.ceil(targetRecall * positives.length));
  return positives[needed - 1] ?? 0.5;
}

function referenceRates(
  scores: readonly number[],
  rows: readonly LabelledText[],
  threshold: number,
  sources: readonly string[],
) {
  const keep = rows.map((r, i) => ({ r, s: scores[i] ?? 0 })).filter((x) => sources.includes(x.r.source));
  return rates(
    keep.map((x) => x.s),
    keep.map((x) => x.r),
    threshold,
  );
}

export function thresholdMetrics(
  validationScores: readonly number[],
  validation: readonly LabelledText[],
  testScores: readonly number[],
  test: readonly LabelledText[],
  targetRecall: number,
): ThresholdMetrics {
  const threshold = Math.max(
    chooseThreshold(validationScores, validation, targetRecall),
    falsePositiveCap(validationScores, validation),
  );
  const v = rates(validationScores, validation, threshold);
  const t = rates(testScores, test, threshold);
  const reference = JAILBREAK_REFERENCE_NEGATIVES;
  const vRef = referenceRates(validationScores, validation, threshold, reference);
  const tRef = referenceRates(testScores, test, threshold, reference);
  const recallBySource: Record<string, { recall: number; examples: number }> = {};
  const fprBySource: Record<string, { rate: number; examples: number }> = {};
  const sources = [...new Set(test.map((r) => r.source))].sort();
  for (const source of sources) {
    const idx = test.map((r, i) => (r.source === source ? i : -1)).filter((i) => i >= 0);
    const rows = idx.map((i) => test[i]).filter((r): r is LabelledText => r !== undefined);
    const r = rates(
      idx.map((i) => testScores[i] ?? 0),
      rows,
      threshold,
    );
    if (r.positives > 0) recallBySource[source] = { recall: r.recall, examples: r.positives };
    if (r.negatives > 0) fprBySource[source] = { rate: r.falsePositiveRate, examples: r.negatives };
  }
  return {
    threshold,
    targetRecall,
    referenceNegativeSources: reference,
    validation: {
      recall: v.recall,
      falsePositiveRate: v.falsePositiveRate,
      referenceFalsePositiveRate: vRef.falsePositiveRate,
    },
    test: {
      recall: t.recall,
      falsePositiveRate: t.falsePositiveRate,
      referenceFalsePositiveRate: tRef.falsePositiveRate,
      referenceNegatives: tRef.negatives,
      positives: t.positives,
      negatives: t.negatives,
      recallBySource,
      falsePositiveRateBySource: fprBySource,
    },
  };
}
