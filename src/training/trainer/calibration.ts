// Temperature scaling fitted on held-out logits, and out-of-distribution scores with stated threshold meaning.
import { logSumExp } from '../../ml/vector-math.ts';

export interface TemperatureFit {
  /** The fitted temperature T; calibrated probabilities are softmax(logits / T). */
  readonly temperature: number;
  /** Mean negative log-likelihood of the labels at T = 1. */
  readonly nllBefore: number;
  /** Mean negative log-likelihood at the fitted T (never above nllBefore). */
  readonly nllAfter: number;
}

export const MIN_TEMPERATURE = 0.05;
export const MAX_TEMPERATURE = 20;

/** Mean negative log-likelihood of `labels` under softmax(logits / temperature). */
export function meanNll(
  logits: readonly ArrayLike<number>[],
  labels: readonly number[],
  temperature: number,
): number {
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    const row = logits[i];
    if (row === undefined) continue;
    total += logSumExp(row, temperature) - (row[labels[i] ?? 0] ?? 0) / temperature;
  }
  return total / Math.max(1, logits.length);
}

/**
 * Fits the temperature that minimises held-out NLL: golden-section search on log T over
 * [MIN_TEMPERATURE, MAX_TEMPERATURE] (NLL is convex in 1/T, so unimodal in log T). Keeps T = 1 if the
 * search finds nothing better.
 */
export function fitTemperature(
  logits: readonly ArrayLike<number>[],
  labels: readonly number[],
  iterations = 60,
): TemperatureFit {
  if (logits.length !== labels.length) throw new Error('fitTemperature: logits and labels differ in length');
  const f = (logT: number): number => meanNll(logits, labels, Math.exp(logT));
  const ratio = (Math.sqrt(5) - 1) / 2;
  let a = Math.log(MIN_TEMPERATURE);
  let b = Math.log(MAX_TEMPERATURE);
  let x1 = b - ratio * (b - a);
  let x2 = a + ratio * (b - a);
  let f1 = f(x1);
  let f2 = f(x2);
  for (let i = 0; i < iterations; i++) {
    if (f1 <= f2) {
      b = x2;
      x2 = x1;
      f2 = f1;
      x1 = b - ratio * (b - a);
      f1 = f(x1);
    } else {
      a = x1;
      x1 = x2;
      f1 = f2;
      x2 = a + ratio * (b - a);
      f2 = f(x2);
    }
  }
  const nllBefore = f(0);
  const logT = (a + b) / 2;
  const nllAt = f(logT);
  return nllAt < nllBefore
    ? { temperature: Math.exp(logT), nllBefore, nllAfter: nllAt }
    : { temperature: 1, nllBefore, nllAfter: nllBefore };
}

/** Out-of-distribution scores of one text; see `oodScore` for how to read thresholds on them. */
export interface OodScores {
  /** Largest calibrated class probability. */
  readonly maxProbability: number;
  /** 1 − maxProbability, in [0, 1 − 1/classes]: higher = less like any trained class. */
  readonly ood: number;
  /** Energy −T·logsumexp(logits / T) of the raw logits; higher = more out-of-distribution (unbounded). */
  readonly energy: number;
}

/**
 * OOD scores from raw (uncalibrated) logits and the fitted temperature.
 *
 * Threshold semantics: after temperature scaling, maxProbability is calibrated on the held-out split, so
 * among in-distribution texts whose maxProbability is about q, about q are labelled correctly. A policy
 * threshold `ood > 0.4` therefore reads "the classifier's own estimate that its label is wrong exceeds
 * 40 %". Texts unlike any training class (true OOD) are not guaranteed to score high — the score
 * measures the classifier's uncertainty, so pair it with a dedicated OOD class when that matters. The
 * energy score ranks OOD texts better in the literature (Liu et al. 2020) but its scale depends on the
 * model; choose its threshold from a quantile of held-out in-distribution energies.
 */
export function oodScore(logits: ArrayLike<number>, temperature: number): OodScores {
  const lse = logSumExp(logits, temperature);
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < logits.length; k++) max = Math.max(max, (logits[k] ?? 0) / temperature);
  const maxProbability = Math.exp(max - lse);
  return { maxProbability, ood: 1 - maxProbability, energy: -temperature * lse };
}
