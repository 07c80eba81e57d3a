// Extractive compression of one long text (a tool's output, an old turn) for a question: its lines (or sentences,
// for a text of few lines) are scored with BM25 against the question; the first and last unit, then the units that
// match the question best, then their neighbours are kept, in their original order, until the token target is
// reached. Omitted stretches are marked so the model knows something was cut.
import { estimateTokens } from '../../request/request-context.ts';
import { contentWords } from '../relevance.ts';

const K1 = 1.2;
const B = 0.75;
const GAP_MARKER = '[…]';

/** Lines when the text has several; otherwise its sentences. */
export function splitUnits(text: string): string[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim().length > 0);
  if (lines.length >= 3) return lines;
  return text.split(/(?<=[.!?])\s+/).filter((s) => s.trim().length > 0);
}

/** BM25 of each unit for the query's words, the units being the corpus. */
export function bm25Scores(units: readonly string[], queryWords: readonly string[]): number[] {
  const docs = units.map((unit) => contentWords(unit));
  const averageLength = docs.reduce((sum, d) => sum + d.length, 0) / Math.max(1, docs.length);
  const documentFrequency = new Map<string, number>();
  for (const doc of docs)
    for (const word of new Set(doc)) documentFrequency.set(word, (documentFrequency.get(word) ?? 0) + 1);
  const query = [...new Set(queryWords)];
  return docs.map((doc) => {
    const counts = new Map<string, number>();
    for (const word of doc) counts.set(word, (counts.get(word) ?? 0) + 1);
    let score = 0;
    for (const word of query) {
      const tf = counts.get(word) ?? 0;
      if (tf === 0) continue;
      const df = documentFrequency.get(word) ?? 0;
      const idf = Math.log(1 + (docs.length - df + 0.5) / (df + 0.5));
      score += (idf * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * doc.length) / Math.max(1, averageLength)));
    }
    return score;
  });
}

/** The head of `text` that fits `tokens` (for a single unit too long to keep whole). */
function truncateToTokens(text: string, tokens: number): string {
  let end = Math.min(text.length, tokens * 4);
  while (end > 0 && estimateTokens(text.slice(0, end)) > tokens) end = Math.floor(end * 0.9);
  return text.slice(0, end);
}

/** Each unit's distance (in units) to the nearest kept one. */
function distancesToKept(count: number, kept: ReadonlySet<number>): number[] {
  const distance = new Array<number>(count).fill(Number.POSITIVE_INFINITY);
  let last = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < count; i++) {
    if (kept.has(i)) last = i;
    distance[i] = i - last;
  }
  last = Number.POSITIVE_INFINITY;
  for (let i = count - 1; i >= 0; i--) {
    if (kept.has(i)) last = i;
    distance[i] = Math.min(distance[i] ?? Number.POSITIVE_INFINITY, last - i);
  }
  return distance;
}

/** `text` cut to at most `targetTokens` (estimated), keeping what answers `query`. */
export function compressExtractive(text: string, query: string, targetTokens: number): string {
  if (estimateTokens(text) <= targetTokens) return text;
  const units = splitUnits(text);
  const separator = units.length >= 3 && text.includes('\n') ? '\n' : ' ';
  const costs = units.map((unit) => estimateTokens(unit) + 1);
  const markerCost = estimateTokens(GAP_MARKER) + 1;
  const scores = bm25Scores(units, contentWords(query));
  const kept = new Set<number>();
  // Every kept unit may open a gap after it: budgeting one marker per unit keeps the result under the target.
  let used = 0;
  const tryKeep = (index: number): void => {
    const cost = (costs[index] ?? 0) + markerCost;
    if (kept.has(index) || used + cost > targetTokens) return;
    kept.add(index);
    used += cost;
  };
  tryKeep(0);
  tryKeep(units.length - 1);
  const ranked = units
    .map((_, index) => index)
    .filter((index) => (scores[index] ?? 0) > 0)
    .sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0) || a - b);
  for (const index of ranked) tryKeep(index);
  // The rest of the budget goes to the context around what was kept: nearest lines first, earlier ones on ties.
  const distance = distancesToKept(units.length, kept);
  const rest = units
    .map((_, index) => index)
    .filter((index) => !kept.has(index))
    .sort((a, b) => (distance[a] ?? 0) - (distance[b] ?? 0) || a - b);
  for (const index of rest) tryKeep(index);
  if (kept.size === 0) return truncateToTokens(text, Math.max(0, targetTokens - markerCost)) + GAP_MARKER;
  const parts: string[] = [];
  let previous = -1;
  for (let index = 0; index < units.length; index++) {
    if (!kept.has(index)) continue;
    if (index > previous + 1) parts.push(GAP_MARKER);
    parts.push(units[index] ?? '');
    previous = index;
  }
  if (previous < units.length - 1) parts.push(GAP_MARKER);
  return parts.join(separator);
}
