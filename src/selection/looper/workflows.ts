// `workflows` (dynamic mode): the planner model writes a plan of at most max_steps steps, each for one worker (the
// decision's other modelRefs); the steps run, at most max_parallel at a time; the planner writes the final answer
// from their results. A plan that cannot be read becomes one step per worker on the whole request.
import { z } from 'zod';
import { LooperFailedError } from '../../errors.ts';
import type { SelectionAlgorithm } from '../model-selector.ts';
import { candidateFor, mapBounded, outcomeScores, successfulOutcomes } from './looper-run.ts';
import { type LooperAlgorithm, looperSelector } from './looper-selector.ts';
import { planMessage, stepMessage, synthesisMessage } from './prompts.ts';

const configSchema = z
  .object({
    mode: z.literal('dynamic').default('dynamic'),
    planner: z
      .object({ model: z.string().min(1), max_completion_tokens: z.int().positive().optional() })
      .loose(),
    max_steps: z.int().positive().max(32).default(4),
    max_parallel: z.int().positive().default(3),
    max_completion_tokens: z.int().positive().optional(),
    round_timeout_seconds: z.number().positive().optional(),
    min_successful_responses: z.int().positive().default(1),
    include_intermediate_responses: z.boolean().default(false),
    on_error: z.enum(['skip', 'fail']).default('skip'),
  })
  .loose();
type WorkflowsConfig = z.infer<typeof configSchema>;

export interface PlanStep {
  readonly model: string;
  readonly task: string;
}

/** The plan's steps (at most `maxSteps`), unknown workers replaced round-robin; [] when the text holds no plan. */
export function readPlan(text: string, workers: readonly string[], maxSteps: number): PlanStep[] {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end <= start) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(start, end + 1));
  } catch {
    return [];
  }
  const steps = (parsed as { steps?: unknown }).steps;
  if (!Array.isArray(steps)) return [];
  return steps
    .filter(
      (s): s is { model?: unknown; task: string } => typeof s?.task === 'string' && s.task.trim() !== '',
    )
    .slice(0, maxSteps)
    .map((step, i) => ({
      model:
        typeof step.model === 'string' && workers.includes(step.model)
          ? step.model
          : (workers[i % workers.length] as string),
      task: step.task.trim(),
    }));
}

function workflowsLooper(config: WorkflowsConfig): LooperAlgorithm {
  const plannerModel = config.planner.model;
  return {
    name: 'workflows',
    configModels: [plannerModel],
    finalCandidate: (candidates) => candidateFor(candidates, plannerModel),
    async run(candidates, run) {
      const timeoutMs = config.round_timeout_seconds && config.round_timeout_seconds * 1000;
      const planner = candidateFor(candidates, plannerModel);
      const others = candidates.filter((c) => c.model !== plannerModel).map((c) => c.model);
      const workers = others.length > 0 ? others : [plannerModel];
      const planned = await run.call(plannerModel, {
        loraName: planner.loraName,
        messages: [...run.messages, planMessage(workers, config.max_steps)],
        maxCompletionTokens: config.planner.max_completion_tokens,
        timeoutMs,
      });
      run.throwIfAborted();
      if (!planned.ok) throw new LooperFailedError(`workflows: planner ${plannerModel}: ${planned.error}`);
      let steps = readPlan(planned.reply.content, workers, config.max_steps);
      const unreadable = steps.length === 0;
      if (unreadable)
        steps = workers.slice(0, config.max_steps).map((model) => ({ model, task: 'Answer the request.' }));
      const outcomes = await mapBounded(steps, config.max_parallel, (step) =>
        run.call(step.model, {
          loraName: candidates.find((c) => c.model === step.model)?.loraName,
          messages: [...run.messages, stepMessage(step.task)],
          maxCompletionTokens: config.max_completion_tokens,
          timeoutMs,
        }),
      );
      run.throwIfAborted();
      const results = successfulOutcomes(
        'workflows',
        'steps',
        outcomes,
        config.on_error,
        config.min_successful_responses,
      ).map((r) => ({ model: r.model, content: r.reply.content }));
      const synthesis = await run.call(plannerModel, {
        loraName: planner.loraName,
        messages: [...run.messages, synthesisMessage(results)],
        maxCompletionTokens: config.planner.max_completion_tokens,
        timeoutMs,
      });
      if (!synthesis.ok)
        throw new LooperFailedError(`workflows: synthesis by ${plannerModel}: ${synthesis.error}`);
      return {
        candidate: planner,
        answer: run.answer(
          plannerModel,
          synthesis.reply.content,
          config.include_intermediate_responses ? results : undefined,
        ),
        reason: `${steps.length} steps${unreadable ? ' (plan unreadable: one per worker)' : ''}, synthesised by ${plannerModel}`,
        scores: outcomeScores([planned, ...outcomes, synthesis]),
      };
    },
  };
}

export const workflowsSelection: SelectionAlgorithm<WorkflowsConfig> = {
  name: 'workflows',
  configSchema: configSchema as z.ZodType<WorkflowsConfig>,
  create: (config) => looperSelector(workflowsLooper(config)),
};
