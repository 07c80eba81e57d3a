// Content-safety categories of a jailbreak model: which labels count as unsafe, P(unsafe) and the category of one
// output. The built-in model has `benign` plus one label per category; a binary model has `benign` / `jailbreak`.
import { clampProbability } from './classifiers.ts';

/**
 * Labels read as unsafe, in the built-in model's order: `jailbreak` (prompt injection, role-play and persona
 * jailbreaks) and the content categories. Other labels (e.g. a Hugging Face model's `INJECTION`) are ignored, as
 * before categories existed.
 */
export const SAFETY_CATEGORIES: readonly string[] = [
  'jailbreak',
  'sexual',
  'hate',
  'violence',
  'harassment',
  'self_harm',
  'illegal',
];

/** Indices of a model's unsafe labels (case-insensitive), each with its category name. */
export interface UnsafeLabels {
  readonly indices: readonly number[];
  readonly names: readonly string[];
}

export function unsafeLabelsOf(labels: readonly string[]): UnsafeLabels {
  const indices: number[] = [];
  const names: string[] = [];
  labels.forEach((label, index) => {
    const name = label.toLowerCase();
    if (SAFETY_CATEGORIES.includes(name)) {
      indices.push(index);
      names.push(name);
    }
  });
  return { indices, names };
}

/** One output read hierarchically: P(unsafe) = the unsafe labels' summed probability, then its likeliest one. */
export interface UnsafeReading {
  readonly probability: number;
  readonly category: string;
}

export function readUnsafe(probabilities: ArrayLike<number>, unsafe: UnsafeLabels): UnsafeReading {
  let sum = 0;
  let best = -1;
  let category = '';
  unsafe.indices.forEach((index, k) => {
    const p = clampProbability(probabilities[index]);
    sum += p;
    if (p > best) {
      best = p;
      category = unsafe.names[k] ?? '';
    }
  });
  return { probability: Math.min(1, Math.max(0, sum)), category };
}
