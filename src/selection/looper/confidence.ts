// `confidence`: ask the candidates one at a time in escalation order and return the first answer whose confidence
// (from its token logprobs, or the model's own verdict) reaches the threshold; else the last answer obtained.
import { z } from 'zod';
import { LooperFailedError } from '../../errors.ts';
import type { CandidateScore, ModelCandidate, SelectionAlgorithm } from '../model-selector.ts';
import type { TokenLogprob } from './looper-caller.ts';
import type { LooperRun } from './looper-run.ts';
import { type LooperAlgorithm, looperSelector } from './looper-selector.ts';
import { verifyMessage } from './prompts.ts';

export const CONFIDENCE_METHODS = ['avg_logprob', 'margin', 'hybrid', 'self_verify'] as const;
type ConfidenceMethod = (typeof CONFIDENCE_METHODS)[number];

const configSchema = z
  .object({
    confidence_method: z.enum(CONFIDENCE_METHODS).default('avg_logprob'),
    /** 0..1: exp(mean token logprob), mean top-1/top-2 probability margin, their mean, or the model's verdict. */
    threshold: z.number().min(0).max(1).default(0.7),
    /** small_to_large and the peer's declared: modelRefs as written; large_to_small: reversed. */
    escalation_order: z.enum(['small_to_large', 'large_to_small', 'declared']).default('small_to_large'),
    on_error: z.enum(['skip', 'fail']).default('skip'),
    top_logprobs: z.int().min(2).max(20).default(5),
    max_completion_tokens: z.int().positive().optional(),
  })
  .loose();
type ConfidenceConfig = z.infer<typeof configSchema>;

const mean = (values: readonly number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

/** exp(mean token logprob): the geometric mean probability of the answer's tokens. */
export function averageProbability(tokens: readonly TokenLogprob[]): number | undefined {
  return tokens.length === 0 ? undefined : Math.exp(mean(tokens.map((t) => t.logprob)));
}

/** Mean probability gap between each token's two likeliest alternatives. */
export function meanMargin(tokens: readonly TokenLogprob[]): number | undefined {
  const margins = tokens
    .filter((t) => t.top.length >= 2)
    .map((t) => {
      const [first, second] = [...t.top].sort((a, b) => b - a) as [number, number];
      return Math.exp(first) - Math.exp(second);
    });
  return margins.length === 0 ? undefined : mean(margins);
}

export function logprobConfidence(
  method: ConfidenceMethod,
  tokens: readonly TokenLogprob[],
): number | undefined {
  if (method === 'avg_logprob') return averageProbability(tokens);
  if (method === 'margin') return meanMargin(tokens);
  const parts = [averageProbability(tokens), meanMargin(tokens)].filter((v): v is number => v !== undefined);
  return parts.length === 0 ? undefined : mean(parts);
}

/** The first number in 0..1 of a verdict, else undefined. */
export function parseVerdict(text: string): number | undefined {
  const match = /\d+(?:\.\d+)?/.exec(text);
  const value = match ? Number(match[0]) : Number.NaN;
  return value >= 0 && value <= 1 ? value : undefined;
}

async function selfVerified(
  run: LooperRun,
  candidate: ModelCandidate,
  answer: string,
): Promise<number | undefined> {
  const verdict = await run.call(candidate.model, {
    loraName: candidate.loraName,
    messages: [...run.messages, { role: 'assistant', content: answer }, verifyMessage(answer)],
    maxCompletionTokens: 8,
    temperature: 0,
  });
  return verdict.ok ? parseVerdict(verdict.reply.content) : undefined;
}

function ordered<C>(candidates: readonly C[], config: ConfidenceConfig): readonly C[] {
  return config.escalation_order === 'large_to_small' ? [...candidates].reverse() : candidates;
}

function confidenceLooper(config: ConfidenceConfig): LooperAlgorithm {
  return {
    name: 'confidence',
    finalCandidate: (candidates) => ordered(candidates, config).at(-1) as (typeof candidates)[number],
    async run(candidates, run) {
      const scores: CandidateScore[] = [];
      let last: { candidate: (typeof candidates)[number]; content: string } | undefined;
      for (const candidate of ordered(candidates, config)) {
        run.throwIfAborted();
        const logprobs = config.confidence_method !== 'self_verify';
        const outcome = await run.call(candidate.model, {
          loraName: candidate.loraName,
          maxCompletionTokens: config.max_completion_tokens,
          ...(logprobs && { topLogprobs: config.top_logprobs }),
        });
        if (!outcome.ok) {
          scores.push({ model: candidate.model, score: 0, excluded: outcome.error });
          if (config.on_error === 'fail')
            throw new LooperFailedError(`confidence: ${candidate.model}: ${outcome.error} (on_error: fail)`);
          continue;
        }
        const confidence = logprobs
          ? logprobConfidence(config.confidence_method, outcome.reply.tokenLogprobs)
          : await selfVerified(run, candidate, outcome.reply.content);
        const score = Number((confidence ?? 0).toFixed(4));
        scores.push({
          model: candidate.model,
          score,
          parts: { confidence: score, threshold: config.threshold },
        });
        last = { candidate, content: outcome.reply.content };
        if (confidence !== undefined && confidence >= config.threshold) {
          return {
            candidate,
            answer: run.answer(candidate.model, outcome.reply.content),
            reason: `${candidate.model} reached ${score} ≥ ${config.threshold} (${config.confidence_method})`,
            scores,
          };
        }
      }
      if (!last)
        throw new LooperFailedError(
          `confidence: every candidate failed: ${scores.map((s) => `${s.model}: ${s.excluded}`).join('; ')}`,
        );
      return {
        candidate: last.candidate,
        answer: run.answer(last.candidate.model, last.content),
        reason: `no answer reached ${config.threshold}: the last answer (${last.candidate.model})`,
        scores,
      };
    },
  };
}

export const confidenceSelection: SelectionAlgorithm<ConfidenceConfig> = {
  name: 'confidence',
  configSchema: configSchema as z.ZodType<ConfidenceConfig>,
  create: (config) => looperSelector(confidenceLooper(config)),
};
