// What a keyword rule's `fuzzy_threshold` allows. vLLM Semantic Router's code reads it as the most Levenshtein
// edits (default 2), yet its reference config writes `fuzzy_threshold: 82`, which as an edit count would match any
// word: values above MAX_EDIT_THRESHOLD are therefore read as a similarity percentage (RapidFuzz-style ratio,
// 100 × (1 − edits / longer length)), the only reading under which 82 is a sensible setting.

/** Largest `fuzzy_threshold` read as an edit count; larger values (up to 100) are a similarity percentage. */
export const MAX_EDIT_THRESHOLD = 8;

/** Most edits between a keyword and a window of the text that still count as the keyword being present. */
export function allowedEdits(threshold: number, keywordLength: number, windowLength: number): number {
  if (threshold <= MAX_EDIT_THRESHOLD) return threshold;
  return Math.floor(((100 - threshold) / 100) * Math.max(keywordLength, windowLength) + 1e-9);
}
