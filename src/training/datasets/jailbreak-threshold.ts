// The false-positive cap of the jailbreak threshold: blocking ordinary users is the worst outcome, so the
// threshold chosen for the target recall is raised until the validation false-positive rate on everyday prompts
// (the reference negatives) is at most JAILBREAK_MAX_REFERENCE_FPR, whatever recall that leaves.
import { JAILBREAK_REFERENCE_NEGATIVES } from './jailbreak.ts';
import type { LabelledText } from './types.ts';

export const JAILBREAK_MAX_REFERENCE_FPR = 0.01;

/** The lowest threshold at which at most `maxFpr` of the reference negatives score at or above it. */
export function falsePositiveCap(
  scores: readonly number[],
  rows: readonly LabelledText[],
  maxFpr = JAILBREAK_MAX_REFERENCE_FPR,
): number {
  const negatives = rows
    .flatMap((row, i) =>
      row.label === 0 && JAILBREAK_REFERENCE_NEGATIVES.includes(row.source) ? [scores[i] ?? 0] : [],
    )
    .sort((a, b) => b - a);
  const allowed = Math.floor(maxFpr * negatives.length);
  const boundary = negatives[allowed];
  // Flag strictly above the (allowed+1)-th highest negative score.
  return boundary === undefined ? 0 : Math.min(1, boundary + 1e-6);
}
