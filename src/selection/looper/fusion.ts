// `fusion`: the analysis models answer in parallel; the judge (`model`) reads their answers with a fusion prompt
// and writes the final answer. Under on_error: skip a failed judge leaves the first analysis as the answer.
import { z } from 'zod';
import { LooperFailedError } from '../../errors.ts';
import type { SelectionAlgorithm } from '../model-selector.ts';
import { candidateFor, mapBounded, outcomeScores, successfulOutcomes } from './looper-run.ts';
import { type LooperAlgorithm, looperSelector } from './looper-selector.ts';
import { fusionMessage } from './prompts.ts';

const configSchema = z
  .object({
    /** The judge: a model of the policy. */
    model: z.string().min(1),
    /** Default: the decision's modelRefs other than the judge. */
    analysis_models: z.array(z.string().min(1)).min(1).optional(),
    max_concurrent: z.int().positive().optional(),
    max_completion_tokens: z.int().positive().optional(),
    round_timeout_seconds: z.number().positive().optional(),
    min_successful_responses: z.int().positive().default(1),
    temperature: z.number().min(0).max(2).optional(),
    include_intermediate_responses: z.boolean().default(false),
    on_error: z.enum(['skip', 'fail']).default('skip'),
  })
  .loose();
type FusionConfig = z.infer<typeof configSchema>;

function fusionLooper(config: FusionConfig): LooperAlgorithm {
  return {
    name: 'fusion',
    configModels: [config.model, ...(config.analysis_models ?? [])],
    finalCandidate: (candidates) => candidateFor(candidates, config.model),
    async run(candidates, run) {
      const timeoutMs = config.round_timeout_seconds && config.round_timeout_seconds * 1000;
      const others = candidates.filter((c) => c.model !== config.model).map((c) => c.model);
      const analysts =
        config.analysis_models ?? (others.length > 0 ? others : candidates.map((c) => c.model));
      const outcomes = await mapBounded(analysts, config.max_concurrent ?? analysts.length, (model) =>
        run.call(model, {
          loraName: candidates.find((c) => c.model === model)?.loraName,
          temperature: config.temperature,
          maxCompletionTokens: config.max_completion_tokens,
          timeoutMs,
        }),
      );
      run.throwIfAborted();
      const analyses = successfulOutcomes(
        'fusion',
        'analysis calls',
        outcomes,
        config.on_error,
        config.min_successful_responses,
      ).map((a) => ({ model: a.model, content: a.reply.content }));
      const shown = config.include_intermediate_responses ? analyses : undefined;
      const judge = candidateFor(candidates, config.model);
      const verdict = await run.call(config.model, {
        loraName: judge.loraName,
        messages: [...run.messages, fusionMessage(analyses)],
        maxCompletionTokens: config.max_completion_tokens,
        timeoutMs,
      });
      const scores = outcomeScores([...outcomes, verdict]);
      if (!verdict.ok) {
        if (config.on_error === 'fail')
          throw new LooperFailedError(`fusion: judge ${config.model}: ${verdict.error} (on_error: fail)`);
        const first = analyses[0] as (typeof analyses)[number];
        return {
          candidate: candidateFor(candidates, first.model),
          answer: run.answer(first.model, first.content, shown),
          reason: `judge ${config.model} failed (${verdict.error}): the first analysis (${first.model})`,
          scores,
        };
      }
      return {
        candidate: judge,
        answer: run.answer(config.model, verdict.reply.content, shown),
        reason: `${analyses.length} analyses fused by ${config.model}`,
        scores,
      };
    },
  };
}

export const fusionSelection: SelectionAlgorithm<FusionConfig> = {
  name: 'fusion',
  configSchema: configSchema as z.ZodType<FusionConfig>,
  create: (config) => looperSelector(fusionLooper(config)),
};
