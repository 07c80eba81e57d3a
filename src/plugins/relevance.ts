// How relevant a text is to the last user message, on the scale the peer's thresholds are written in.
//
// The built-in embedder (a WideMLP trained for domains) puts almost any two English sentences above 0.8 cosine: on
// the SICK test pairs the median cosine is 0.83 for unrelated pairs (relatedness 1), 0.89 for relatedness 2 and
// 0.96 for related ones (4). Raw cosine would make every peer threshold (0.35, 0.72, ...) meaningless, so
// similarities are rescaled linearly so that 0.84 maps to 0 and identity to 1 (`bench/plugin-relevance.ts`
// measures this). Tool relevance adds word overlap, as the peer's combined score does: on CLINC150 (the right tool
// among 20) similarity alone ranks it first for 15 % of queries, with word overlap for 59 %.
import type { RequestContext } from '../request/request-context.ts';
import { type PluginEmbedder, similarityToLastUser } from './plugin-embedder.ts';

/** Raw cosine of the built-in embedder that calibrated similarity 0 stands for (unrelated SICK pairs: ~0.83-0.89). */
export const BUILTIN_SIMILARITY_FLOOR = 0.84;

export function calibratedSimilarity(cosine: number): number {
  const value = (cosine - BUILTIN_SIMILARITY_FLOOR) / (1 - BUILTIN_SIMILARITY_FLOOR);
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}

const STOP_WORDS = new Set(
  'the and for with from that this what which when where how are was were you your our can get set use into about a an of to in on by is it be do as at or'.split(
    ' ',
  ),
);

/** Lower-case content words (letters and digits, 3+ characters, no stop words); `_`, `.` and `-` split names. */
export function contentWords(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter(
    (w) => w.length >= 3 && !STOP_WORDS.has(w),
  );
}

/**
 * Word overlap of a query and a text, Dice style (2·shared / (query words + text words)); a shared 4-letter prefix
 * counts as a shared word (search / searching, document / documentation).
 */
export function wordOverlap(queryWords: ReadonlySet<string>, text: string): number {
  const words = new Set(contentWords(text));
  if (words.size === 0 || queryWords.size === 0) return 0;
  const prefixes = new Set([...words].map((w) => w.slice(0, 4)));
  let shared = 0;
  for (const word of queryWords) if (words.has(word) || prefixes.has(word.slice(0, 4))) shared++;
  return (2 * shared) / (queryWords.size + words.size);
}

/** Calibrated similarity of each text to the last user message; undefined when the request has no user text. */
export async function semanticRelevance(
  embedder: PluginEmbedder,
  request: RequestContext,
  texts: readonly string[],
): Promise<number[] | undefined> {
  const cosines = await similarityToLastUser(embedder, request, texts);
  return cosines?.map(calibratedSimilarity);
}

/** 0.3 × calibrated similarity + 0.7 × word overlap with the query, in [0, 1]. */
export function toolRelevanceScore(semantic: number, queryWords: ReadonlySet<string>, text: string): number {
  return 0.3 * semantic + 0.7 * wordOverlap(queryWords, text);
}

/** toolRelevanceScore of each text for the last user message; undefined when the request has no user text. */
export async function toolRelevance(
  embedder: PluginEmbedder,
  request: RequestContext,
  texts: readonly string[],
): Promise<number[] | undefined> {
  const semantic = await semanticRelevance(embedder, request, texts);
  if (semantic === undefined) return undefined;
  const queryWords = new Set(contentWords(request.lastUserText));
  return texts.map((text, index) => toolRelevanceScore(semantic[index] ?? 0, queryWords, text));
}
