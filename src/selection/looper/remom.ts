// `remom` (reasoning mixture of models): rounds of parallel answers, breadth per round from breadth_schedule; each
// round after the first reads the previous round's answers and improves on them; the last round's answers are
// merged into one by the first candidate (unless the last round has a single answer).
import { z } from 'zod';
import type { ModelCandidate, SelectionAlgorithm } from '../model-selector.ts';
import { type CallOutcome, mapBounded, outcomeScores, successfulOutcomes } from './looper-run.ts';
import { type LooperAlgorithm, looperSelector } from './looper-selector.ts';
import { type ModelAnswer, mergeMessage, refineMessage } from './prompts.ts';

const configSchema = z
  .object({
    breadth_schedule: z.array(z.int().positive().max(32)).min(1).max(8).default([3]),
    model_distribution: z.enum(['round_robin', 'weighted', 'random']).default('round_robin'),
    temperature: z.number().min(0).max(2).optional(),
    max_concurrent: z.int().positive().default(3),
    max_completion_tokens: z.int().positive().optional(),
    round_timeout_seconds: z.number().positive().optional(),
    min_successful_responses: z.int().positive().default(1),
    include_intermediate_responses: z.boolean().default(false),
    on_error: z.enum(['skip', 'fail']).default('skip'),
  })
  .loose();
type RemomConfig = z.infer<typeof configSchema>;

/** The candidates of a round's `breadth` calls. */
export function distribute<C extends ModelCandidate>(
  candidates: readonly C[],
  breadth: number,
  distribution: RemomConfig['model_distribution'],
  random: () => number,
): C[] {
  const total = candidates.reduce((sum, c) => sum + Math.max(0, c.weight), 0);
  return Array.from({ length: breadth }, (_, i) => {
    if (distribution === 'round_robin' || (distribution === 'weighted' && total <= 0))
      return candidates[i % candidates.length] as C;
    if (distribution === 'random') return candidates[Math.floor(random() * candidates.length)] as C;
    let point = random() * total;
    for (const candidate of candidates) {
      point -= Math.max(0, candidate.weight);
      if (point < 0) return candidate;
    }
    return candidates.at(-1) as C;
  });
}

function remomLooper(config: RemomConfig): LooperAlgorithm {
  return {
    name: 'remom',
    finalCandidate: (candidates) => candidates[0] as (typeof candidates)[number],
    async run(candidates, run, context) {
      const timeoutMs = config.round_timeout_seconds && config.round_timeout_seconds * 1000;
      let previous: ModelAnswer[] = [];
      const intermediate: ModelAnswer[] = [];
      const outcomes: CallOutcome[] = [];
      for (const [round, breadth] of config.breadth_schedule.entries()) {
        const callers = distribute(candidates, breadth, config.model_distribution, context.random);
        const messages = round === 0 ? undefined : [...run.messages, refineMessage(previous)];
        const roundOutcomes = await mapBounded(callers, config.max_concurrent, (candidate) =>
          run.call(candidate.model, {
            loraName: candidate.loraName,
            ...(messages && { messages }),
            temperature: config.temperature,
            maxCompletionTokens: config.max_completion_tokens,
            timeoutMs,
          }),
        );
        run.throwIfAborted();
        outcomes.push(...roundOutcomes);
        const answers = successfulOutcomes(
          'remom',
          `round ${round + 1} calls`,
          roundOutcomes,
          config.on_error,
          config.min_successful_responses,
        );
        previous = answers.map((a) => ({ model: a.model, content: a.reply.content }));
        intermediate.push(...previous);
      }
      const shown = config.include_intermediate_responses ? intermediate : undefined;
      const rounds = config.breadth_schedule.length;
      if (previous.length === 1) {
        const only = previous[0] as ModelAnswer;
        return {
          candidate: candidates.find((c) => c.model === only.model) as (typeof candidates)[number],
          answer: run.answer(only.model, only.content, shown),
          reason: `${rounds} rounds, the last answered by ${only.model}`,
          scores: outcomeScores(outcomes),
        };
      }
      const merger = candidates[0] as (typeof candidates)[number];
      const merged = await run.call(merger.model, {
        loraName: merger.loraName,
        messages: [...run.messages, mergeMessage(previous)],
        maxCompletionTokens: config.max_completion_tokens,
        timeoutMs,
      });
      const [final] = successfulOutcomes('remom', 'merge calls', [merged], config.on_error, 1);
      return {
        candidate: merger,
        answer: run.answer(merger.model, (final as NonNullable<typeof final>).reply.content, shown),
        reason: `${rounds} rounds (${config.breadth_schedule.join(', ')}), merged by ${merger.model}`,
        scores: outcomeScores([...outcomes, merged]),
      };
    },
  };
}

export const remomSelection: SelectionAlgorithm<RemomConfig> = {
  name: 'remom',
  configSchema: configSchema as z.ZodType<RemomConfig>,
  create: (config) => looperSelector(remomLooper(config)),
};
