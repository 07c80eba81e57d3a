// `preferences` family (condition type `preference`): vLLM Semantic Router's contrastive preference routing. Every
// rule has example phrasings; the rule whose examples are most similar to the last user message wins, if that
// similarity reaches its threshold. At most one rule matches a request.
import { z } from 'zod';
import { candidateSchema } from './embeddings.ts';
import { type LexicalVector, lexicalCosine, lexicalVector } from './lexical-similarity.ts';
import { defineSignalFamily, type SignalMatch } from './signal-family.ts';

/**
 * Multiplies the lexical similarity into the peer's scale: the peer's thresholds are cosines of a sentence
 * embedder, where 0.7 separates an intent's phrasings from other requests about as well as a lexical similarity of
 * 0.4 does on clinc150 (bench/preferences-eval.ts). Scores are capped at 1.
 */
export const PEER_SCALE_FACTOR = 0.7 / 0.4;

/** The lexical similarity as the peer's thresholds read it. */
export function peerScaleScore(lexical: number): number {
  return Math.min(1, lexical * PEER_SCALE_FACTOR);
}

const preferenceRuleSchema = z
  .strictObject({
    name: z.string().min(1),
    /** Compared with the request when the rule has no examples (the peer's fallback). */
    description: z.string().optional(),
    examples: z.array(candidateSchema).optional(),
    /** Peer-scale similarity the best example must reach; absent or 0 = the best rule always matches. */
    threshold: z.number().min(0).max(1).optional(),
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

/** The best-scoring rule for `text` and its peer-scale score, or undefined when no rule is similar at all. */
export function bestPreference(
  rules: readonly CompiledPreference[],
  text: string,
): { readonly rule: CompiledPreference; readonly score: number } | undefined {
  if (text.trim() === '') return undefined;
  const query = lexicalVector(text);
  let best: { rule: CompiledPreference; score: number } | undefined;
  for (const rule of rules) {
    let score = 0;
    for (const example of rule.examples) score = Math.max(score, lexicalCosine(query, example));
    if (score > 0 && (best === undefined || score > best.score)) best = { rule, score };
  }
  return best && { rule: best.rule, score: peerScaleScore(best.score) };
}

export function compilePreferences(rules: readonly PreferenceRule[]): CompiledPreference[] {
  return rules.map((rule) => {
    const texts = rule.examples?.length ? rule.examples : [rule.description ?? ''];
    return { name: rule.name, threshold: rule.threshold ?? 0, examples: texts.map(lexicalVector) };
  });
}

export const preferencesFamily = defineSignalFamily<PreferenceRule>({
  family: 'preferences',
  conditionType: 'preference',
  ruleSchema: preferenceRuleSchema,
  create(rules) {
    const compiled = compilePreferences(rules);
    return {
      evaluate(context): SignalMatch[] {
        const best = bestPreference(compiled, context.lastUserText);
        if (best === undefined || best.score < best.rule.threshold) return [];
        return [
          { name: best.rule.name, confidence: best.score, detail: `similarity=${best.score.toFixed(3)}` },
        ];
      },
    };
  },
});
