// `ratings`: every candidate answers (at most max_concurrent at a time); the answers rate each other by agreement
// and the best-rated one is returned: the answer closest to the others (self-consistency), ties to the first.
import { z } from 'zod';
import type { SelectionAlgorithm } from '../model-selector.ts';
import { mapBounded, outcomeScores, successfulOutcomes } from './looper-run.ts';
import { type LooperAlgorithm, looperSelector } from './looper-selector.ts';

const configSchema = z
  .object({
    max_concurrent: z.int().positive().optional(),
    on_error: z.enum(['skip', 'fail']).default('skip'),
    min_successful_responses: z.int().positive().default(1),
    max_completion_tokens: z.int().positive().optional(),
    include_intermediate_responses: z.boolean().default(false),
  })
  .loose();
type RatingsConfig = z.infer<typeof configSchema>;

function words(text: string): Set<string> {
  return new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const word of a) if (b.has(word)) shared++;
  return shared / (a.size + b.size - shared);
}

/** Each answer's mean word overlap with the other answers (1 for a lone answer). */
export function agreementRatings(answers: readonly string[]): number[] {
  const sets = answers.map(words);
  return sets.map((set, i) => {
    if (sets.length === 1) return 1;
    const others = sets.filter((_, j) => j !== i).map((other) => jaccard(set, other));
    return others.reduce((sum, v) => sum + v, 0) / others.length;
  });
}

function ratingsLooper(config: RatingsConfig): LooperAlgorithm {
  return {
    name: 'ratings',
    finalCandidate: (candidates) => candidates[0] as (typeof candidates)[number],
    async run(candidates, run) {
      const outcomes = await mapBounded(candidates, config.max_concurrent ?? candidates.length, (candidate) =>
        run.call(candidate.model, {
          loraName: candidate.loraName,
          maxCompletionTokens: config.max_completion_tokens,
        }),
      );
      run.throwIfAborted();
      const answers = successfulOutcomes(
        'ratings',
        'model calls',
        outcomes,
        config.on_error,
        config.min_successful_responses,
      );
      const ratings = agreementRatings(answers.map((a) => a.reply.content));
      let best = 0;
      for (let i = 1; i < ratings.length; i++)
        if ((ratings[i] as number) > (ratings[best] as number)) best = i;
      const winner = answers[best] as (typeof answers)[number];
      const rating = new Map(answers.map((a, i) => [a.model, Number((ratings[i] as number).toFixed(4))]));
      const intermediate = answers.map((a) => ({ model: a.model, content: a.reply.content }));
      return {
        candidate: candidates.find((c) => c.model === winner.model) as (typeof candidates)[number],
        answer: run.answer(
          winner.model,
          winner.reply.content,
          config.include_intermediate_responses ? intermediate : undefined,
        ),
        reason: `${winner.model} rated best of ${answers.length} answers (agreement ${rating.get(winner.model)})`,
        scores: outcomeScores(outcomes, (o) => ({ rating: rating.get(o.model) ?? 0 })),
      };
    },
  };
}

export const ratingsSelection: SelectionAlgorithm<RatingsConfig> = {
  name: 'ratings',
  configSchema: configSchema as z.ZodType<RatingsConfig>,
  create: (config) => looperSelector(ratingsLooper(config)),
};
