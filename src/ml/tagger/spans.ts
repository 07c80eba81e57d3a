// Token labels ↔ character spans: gold token labels for training, and merging predicted token labels into spans.
import type { EntitySpan } from '../span-model.ts';
import { isWordToken, type Token } from './tokens.ts';

/** Label of tokens outside every entity (index 0 of a tagger's labels). */
export const OUTSIDE = 'O';

/** A labelled character range (a gold annotation). */
export interface LabelledRange {
  readonly label: string;
  readonly start: number;
  readonly end: number;
}

/** Index into `labels` of each token: the range covering the token's midpoint, else OUTSIDE (0). */
export function goldTokenLabels(
  tokens: readonly Token[],
  ranges: readonly LabelledRange[],
  labels: readonly string[],
): number[] {
  return tokens.map((token) => {
    const mid = (token.start + token.end) / 2;
    const range = ranges.find((r) => r.start <= mid && mid < r.end);
    const index = range === undefined ? 0 : labels.indexOf(range.label);
    return Math.max(index, 0);
  });
}

/** Probability of an entity label at which a word next to that entity joins it. */
export const EXTEND_PROBABILITY = 0.2;

/** Punctuation that may sit inside an entity (`Apt. 5`, `25, Riisa`, `#12`, `O. Smith`). */
const INNER_PUNCTUATION = new Set([',', '.', '#', '/', '-', "'"]);

/** Whether two neighbouring tokens of one entity may be joined across the text between them. */
function joinable(label: string, gap: string): boolean {
  if (!/^\s*$/.test(gap)) return false;
  // A person's name does not continue on the next line; an address block does.
  return label !== 'PERSON' || !gap.includes('\n');
}

/**
 * Spans from per-token probabilities (`probs[row * labels.length + k]`): each token takes its most probable
 * label, a lone inner punctuation mark between two tokens of one entity joins them, consecutive tokens of one
 * label merge, and leading or trailing punctuation is dropped. Score = mean probability over the span's words.
 */
export function decodeSpans(
  text: string,
  tokens: readonly Token[],
  labels: readonly string[],
  probs: ArrayLike<number>,
): EntitySpan[] {
  const c = labels.length;
  const best = tokens.map((_, row) => {
    let k = 0;
    for (let j = 1; j < c; j++) if ((probs[row * c + j] ?? 0) > (probs[row * c + k] ?? 0)) k = j;
    return k;
  });
  // Hysteresis: a word next to an entity joins it at a lower probability (first names before a surname).
  const extend = (i: number, from: number) => {
    const k = best[from] ?? 0;
    const token = tokens[i] as Token;
    const other = tokens[from] as Token;
    if (best[i] !== 0 || k === 0 || !isWordToken(token) || (probs[i * c + k] ?? 0) < EXTEND_PROBABILITY)
      return;
    const gap = i < from ? text.slice(token.end, other.start) : text.slice(other.end, token.start);
    if (joinable(labels[k] ?? OUTSIDE, gap)) best[i] = k;
  };
  for (let i = 1; i < tokens.length; i++) extend(i, i - 1);
  for (let i = tokens.length - 2; i >= 0; i--) extend(i, i + 1);
  for (let i = 1; i + 1 < tokens.length; i++) {
    const token = tokens[i] as Token;
    const before = best[i - 1] ?? 0;
    if (best[i] === 0 && before !== 0 && before === best[i + 1] && INNER_PUNCTUATION.has(token.text)) {
      best[i] = before;
    }
  }
  const spans: EntitySpan[] = [];
  let i = 0;
  while (i < tokens.length) {
    const k = best[i] ?? 0;
    if (k === 0) {
      i++;
      continue;
    }
    const label = labels[k] ?? OUTSIDE;
    let j = i;
    while (
      j + 1 < tokens.length &&
      best[j + 1] === k &&
      joinable(label, text.slice((tokens[j] as Token).end, (tokens[j + 1] as Token).start))
    )
      j++;
    const span = trimmedSpan(tokens, i, j, label, (row) => probs[row * c + k] ?? 0);
    if (span !== undefined) spans.push(span);
    i = j + 1;
  }
  return spans;
}

function trimmedSpan(
  tokens: readonly Token[],
  first: number,
  last: number,
  label: string,
  probability: (row: number) => number,
): EntitySpan | undefined {
  let a = first;
  let b = last;
  while (a <= b && !isWordToken(tokens[a] as Token)) a++;
  // Keep a final period that closes an abbreviation glued to the word before it (`St.`, `u.`, `D.`).
  while (b >= a && !isWordToken(tokens[b] as Token)) {
    const prev = tokens[b - 1];
    const token = tokens[b] as Token;
    if (
      token.text === '.' &&
      prev !== undefined &&
      prev.end === token.start &&
      /^\p{L}{1,3}$/u.test(prev.text)
    )
      break;
    b--;
  }
  if (a > b) return undefined;
  let sum = 0;
  let words = 0;
  for (let r = a; r <= b; r++) {
    if (!isWordToken(tokens[r] as Token)) continue;
    sum += probability(r);
    words++;
  }
  const start = (tokens[a] as Token).start;
  const end = (tokens[b] as Token).end;
  return { label, start, end, score: Math.min(1, Math.max(0, sum / Math.max(1, words))) };
}
