// `prompt` selection: a helper model reads the instructions, the candidates' names and the request's last user
// message and names the candidate; the original request then goes to it (ordinary routing, no looper answer). When
// the helper cannot be asked, fails, or names no candidate, the first candidate serves and the reason says why.
import { z } from 'zod';
import type {
  ModelCandidate,
  ModelSelector,
  Selection,
  SelectionAlgorithm,
  SelectionContext,
} from '../model-selector.ts';
import type { LooperCaller } from './looper-caller.ts';
import { LooperRun, looperUnavailable } from './looper-run.ts';
import { selectorMessages } from './prompts.ts';

const configSchema = z
  .object({
    model: z.string().min(1),
    instructions: z.string().default(''),
    timeout_seconds: z.number().positive().max(600).default(5),
    max_completion_tokens: z.int().positive().default(32),
  })
  .loose();
type PromptConfig = z.infer<typeof configSchema>;

/** The candidate the reply names: an exact reply first, else the longest name the reply contains. */
export function namedCandidate<C extends ModelCandidate>(
  reply: string,
  candidates: readonly C[],
): C | undefined {
  const text = reply.trim().replace(/^["'`]+|["'`.]+$/g, '');
  const exact = candidates.find((c) => c.model.toLowerCase() === text.toLowerCase());
  if (exact) return exact;
  const lower = reply.toLowerCase();
  return [...candidates]
    .sort((a, b) => b.model.length - a.model.length)
    .find((c) => lower.includes(c.model.toLowerCase()));
}

function promptSelector(config: PromptConfig): ModelSelector {
  return {
    algorithm: 'prompt',
    needsLooper: true,
    configModels: [config.model],
    async select<C extends ModelCandidate>(
      candidates: readonly C[],
      context: SelectionContext,
    ): Promise<Selection<C>> {
      const first = candidates[0] as C;
      const fallback = (why: string): Selection<C> => ({
        candidate: first,
        reason: `${why}: first candidate`,
      });
      const unavailable = looperUnavailable(context);
      // The helper is asked over chat completions whatever API the client used: only a missing looper stops it.
      if (unavailable !== undefined && unavailable !== 'looper needs the chat completions API')
        return fallback(unavailable);
      const run = new LooperRun('prompt', context.looper as LooperCaller, context);
      const names = candidates.map((c) => c.model);
      const outcome = await run.call(config.model, {
        ownBody: true,
        messages: selectorMessages(config.instructions, names, context.request.lastUserText),
        maxCompletionTokens: config.max_completion_tokens,
        temperature: 0,
        timeoutMs: config.timeout_seconds * 1000,
      });
      if (!outcome.ok) return fallback(`prompt helper ${config.model} failed (${outcome.error})`);
      const chosen = namedCandidate(outcome.reply.content, candidates);
      if (!chosen) return fallback(`prompt helper ${config.model} named no candidate`);
      return {
        candidate: chosen,
        reason: `prompt helper ${config.model} chose ${chosen.model}`,
        scores: candidates.map((c) => ({ model: c.model, score: c === chosen ? 1 : 0 })),
      };
    },
  };
}

export const promptSelection: SelectionAlgorithm<PromptConfig> = {
  name: 'prompt',
  configSchema: configSchema as z.ZodType<PromptConfig>,
  create: (config) => promptSelector(config),
};
