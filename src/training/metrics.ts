// Classifier metrics shared by `train` and `eval`: confusion-based scores, detection rates, latency percentiles.

export interface ClassMetrics {
  readonly label: string;
  readonly support: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export interface ClassificationMetrics {
  readonly examples: number;
  readonly accuracy: number;
  readonly macroF1: number;
  readonly perClass: readonly ClassMetrics[];
  /** confusion[true][predicted] */
  readonly confusion: readonly (readonly number[])[];
}

/** Accuracy, per-class precision/recall/F1, macro F1 and the confusion matrix of predictions. */
export function classificationMetrics(
  labels: readonly string[],
  truth: readonly number[],
  predicted: readonly number[],
): ClassificationMetrics {
  const c = labels.length;
  const confusion = Array.from({ length: c }, () => new Array<number>(c).fill(0));
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i] ?? 0;
    const p = predicted[i] ?? 0;
    const row = confusion[t];
    if (row !== undefined) row[p] = (row[p] ?? 0) + 1;
    if (t === p) correct++;
  }
  const perClass = labels.map((label, k) => {
    const tp = confusion[k]?.[k] ?? 0;
    const support = (confusion[k] ?? []).reduce((a, b) => a + b, 0);
    const predictedK = confusion.reduce((a, row) => a + (row[k] ?? 0), 0);
    const precision = predictedK === 0 ? 0 : tp / predictedK;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, support, precision, recall, f1 };
  });
  return {
    examples: truth.length,
    accuracy: correct / Math.max(1, truth.length),
    macroF1: perClass.reduce((a, m) => a + m.f1, 0) / Math.max(1, c),
    perClass,
    confusion,
  };
}

/** Detection rates of a score threshold over rows whose label 1 is the positive (attack) class. */
export interface DetectionRates {
  /** Share of positives with score ≥ threshold. */
  readonly recall: number;
  /** Share of negatives with score ≥ threshold. */
  readonly falsePositiveRate: number;
  readonly positives: number;
  readonly negatives: number;
}

/** Recall and false-positive rate of flagging `score ≥ threshold`; label 1 is positive. */
export function detectionRates(
  scores: readonly number[],
  rows: readonly { readonly label: number }[],
  threshold: number,
): DetectionRates {
  let tp = 0;
  let pos = 0;
  let fp = 0;
  let neg = 0;
  rows.forEach((row, i) => {
    const flagged = (scores[i] ?? 0) >= threshold;
    if (row.label === 1) {
      pos++;
      if (flagged) tp++;
    } else {
      neg++;
      if (flagged) fp++;
    }
  });
  return {
    recall: tp / Math.max(1, pos),
    falsePositiveRate: fp / Math.max(1, neg),
    positives: pos,
    negatives: neg,
  };
}

/** Nearest-rank percentile (q in [0, 1]) of ascending values; 0 when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? 0;
}

export interface LatencySummary {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
}

/** p50 / p99 / mean of durations in milliseconds, rounded to microseconds. */
export function summarizeLatency(timesMs: readonly number[]): LatencySummary {
  const sorted = [...timesMs].sort((a, b) => a - b);
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    samples: timesMs.length,
    p50Ms: round(percentile(sorted, 0.5)),
    p99Ms: round(percentile(sorted, 0.99)),
    meanMs: round(timesMs.reduce((a, b) => a + b, 0) / Math.max(1, timesMs.length)),
  };
}

/** A rate as a percentage with one decimal, e.g. `98.8 %`. */
export const formatPercent = (x: number): string => `${(x * 100).toFixed(1)} %`;

/** A Markdown table; `right` marks the columns to right-align (numbers). */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly boolean[] = [],
): string[] {
  const rule = header.map((_, i) => (right[i] === true ? '---:' : '---'));
  return [header, rule, ...rows].map((cells) => `| ${cells.join(' | ')} |`);
}
