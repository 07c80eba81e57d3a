// `preferences` family (condition type `preference`): vLLM Semantic Router's contrastive preference routing. Every
// rule has example phrasings; the rule whose examples are most similar to the last user message wins, if that
// similarity reaches its threshold. At most one rule matches a request.

import { z } from 'zod';
import type { TextEmbeddingModel } from '../ml/embedding/text-embedder.ts';
import {
  candidateSchema,
  clampUnit,
  closeEmbedders,
  embedLastUserText,
  loadEmbeddedRules,
  maxSimilarity,
  modelSchema,
} from './embeddings.ts';
import { headAndTail } from './head-tail.ts';
import { type LexicalVector, lexicalCosine, lexicalVector } from './lexical-similarity.ts';
import {
  atRuleIndices,
  defineSignalFamily,
  type SignalDeps,
  type SignalEvaluator,
  type SignalMatch,
} from './signal-family.ts';

/**
 * Multiplies the lexical similarity into the peer's scale: the peer's thresholds are cosines of a sentence
 * embedder, where 0.7 separates an intent's phrasings from other requests about as well as a lexical similarity of
 * 0.4 does on clinc150 (bench/preferences-eval.ts). Rules are ranked on the uncapped score (strong matches stay
 * ordered); the confidence of a match is capped at 1.
 */
export const PEER_SCALE_FACTOR = 0.7 / 0.4;

/** The lexical similarity as the peer's thresholds read it (may exceed 1 for near-identical texts). */
export function peerScaleScore(lexical: number): number {
  return lexical * PEER_SCALE_FACTOR;
}

const preferenceRuleSchema = z
  .strictObject({
    name: z.string().min(1),
    /** Compared with the request when the rule has no examples (the peer's fallback). */
    description: z.string().optional(),
    examples: z.array(candidateSchema).optional(),
    /** Peer-scale similarity the best example must reach; absent or 0 = the best rule always matches. */
    threshold: z.number().min(0).max(1).optional(),
    /** Extension: an embedding model (file or directory, also a Hugging Face export) whose cosine scores the rule. */
    model: modelSchema,
  })
  .refine((rule) => (rule.examples?.length ?? 0) > 0 || (rule.description ?? '').trim() !== '', {
    message: 'a preference rule needs examples (or at least a description to compare requests with)',
    path: ['examples'],
  });

export type PreferenceRule = z.infer<typeof preferenceRuleSchema>;

interface CompiledPreference {
  readonly name: string;
  readonly threshold: number;
  readonly examples: readonly LexicalVector[];
}

/** Characters of a long message compared with the examples: its start and its end, where a style request sits. */
export const PREFERENCE_HEAD_CHARS = 2048;
export const PREFERENCE_TAIL_CHARS = 2048;

/** Each rule's best similarity to `text` on the peer's scale (0 for a rule with nothing in common). */
export function lexicalScores(rules: readonly CompiledPreference[], text: string): number[] {
  if (text.trim() === '') return rules.map(() => 0);
  const query = lexicalVector(headAndTail(text, PREFERENCE_HEAD_CHARS, PREFERENCE_TAIL_CHARS));
  return rules.map((rule) => {
    let score = 0;
    for (const example of rule.examples) score = Math.max(score, lexicalCosine(query, example));
    return peerScaleScore(score);
  });
}

/** The rule with the highest score, or undefined when every score is 0. */
export function bestOf<R>(
  rules: readonly R[],
  scores: readonly number[],
): { readonly rule: R; readonly score: number } | undefined {
  let best: { rule: R; score: number } | undefined;
  rules.forEach((rule, k) => {
    const score = scores[k] ?? 0;
    if (score > 0 && (best === undefined || score > best.score)) best = { rule, score };
  });
  return best;
}

/** The best-scoring rule for `text` and its peer-scale score, or undefined when no rule is similar at all. */
export function bestPreference(
  rules: readonly CompiledPreference[],
  text: string,
): { readonly rule: CompiledPreference; readonly score: number } | undefined {
  return bestOf(rules, lexicalScores(rules, text));
}

export function compilePreferences(rules: readonly PreferenceRule[]): CompiledPreference[] {
  return rules.map((rule) => ({
    name: rule.name,
    threshold: rule.threshold ?? 0,
    examples: examplesOf(rule).map(lexicalVector),
  }));
}

function examplesOf(rule: PreferenceRule): readonly string[] {
  return rule.examples?.length ? rule.examples : [rule.description ?? ''];
}

function matchOf(
  best: { readonly rule: CompiledPreference; readonly score: number } | undefined,
): SignalMatch[] {
  if (best === undefined || best.score < best.rule.threshold) return [];
  const confidence = Math.min(1, best.score);
  return [{ name: best.rule.name, confidence, detail: `similarity=${confidence.toFixed(3)}` }];
}

/**
 * Rules naming an embedding `model` score by its cosine (a sentence embedder's cosine is the scale the peer's
 * thresholds assume); the others lexically. Returns the evaluator once every model is loaded and every example embedded.
 */
async function embeddedEvaluator(
  rules: readonly PreferenceRule[],
  compiled: readonly CompiledPreference[],
  deps: SignalDeps,
): Promise<SignalEvaluator> {
  const indices = rules.flatMap((rule, k) => (rule.model === undefined ? [] : [k]));
  const withModel = indices.map((k) => rules[k] as PreferenceRule);
  const { embedders, rules: embedded } = await atRuleIndices(
    loadEmbeddedRules(withModel, deps, (rule) => [examplesOf(rule)]),
    indices,
  );
  return {
    async evaluate(context) {
      const scores = lexicalScores(compiled, context.lastUserText);
      const queries = await Promise.all(embedded.map((e) => embedLastUserText(context, e.embedder)));
      indices.forEach((ruleIndex, j) => {
        const query = queries[j];
        scores[ruleIndex] =
          query === undefined
            ? 0
            : clampUnit(
                maxSimilarity(
                  embedded[j]?.embedder as TextEmbeddingModel,
                  query,
                  embedded[j]?.banks[0] ?? [],
                ),
              );
      });
      return matchOf(bestOf(compiled, scores));
    },
    close: closeEmbedders(embedders),
  };
}

export const preferencesFamily = defineSignalFamily<PreferenceRule>({
  family: 'preferences',
  conditionType: 'preference',
  ruleSchema: preferenceRuleSchema,
  create(rules, deps) {
    const compiled = compilePreferences(rules);
    if (rules.some((rule) => rule.model !== undefined)) return embeddedEvaluator(rules, compiled, deps);
    return {
      evaluate: (context): SignalMatch[] => matchOf(bestPreference(compiled, context.lastUserText)),
    };
  },
});
