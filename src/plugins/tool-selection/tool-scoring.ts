// The combined score of a candidate tool for the last user message, after the peer's weighted retrieval: calibrated
// embedding similarity, word overlap with the tool's text, and whether the message names one of the tool's tags,
// its name's words or its category. Weights are the policy's (`advanced_filtering.weights`) or these defaults,
// which lean on the lexical parts because the built-in embedder separates topics poorly (docs/tools-db.md).
import { contentWords, wordOverlap } from '../relevance.ts';

export interface ToolScoreWeights {
  readonly embed: number;
  readonly lexical: number;
  readonly tag: number;
  readonly name: number;
  readonly category: number;
}

export const DEFAULT_TOOL_SCORE_WEIGHTS: ToolScoreWeights = {
  embed: 0.3,
  lexical: 0.3,
  tag: 0.15,
  name: 0.15,
  category: 0.1,
};

export interface ScoredCandidate {
  readonly name: string;
  /** Name and description(s): what is embedded and overlapped. */
  readonly text: string;
  readonly tags: readonly string[];
  readonly category: string | undefined;
}

function mentionsAny(queryWords: ReadonlySet<string>, texts: readonly string[]): boolean {
  return texts.some((text) => contentWords(text).some((word) => queryWords.has(word)));
}

/** A score in [0, 1] when the weights sum to 1. */
export function combinedToolScore(
  queryWords: ReadonlySet<string>,
  semantic: number,
  candidate: ScoredCandidate,
  weights: ToolScoreWeights,
): number {
  return (
    weights.embed * semantic +
    weights.lexical * wordOverlap(queryWords, candidate.text) +
    weights.tag * (mentionsAny(queryWords, candidate.tags) ? 1 : 0) +
    weights.name * (mentionsAny(queryWords, [candidate.name]) ? 1 : 0) +
    weights.category *
      (candidate.category !== undefined && mentionsAny(queryWords, [candidate.category]) ? 1 : 0)
  );
}
