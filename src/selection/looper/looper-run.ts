// What every looper algorithm shares: its model calls (bounded concurrency, usage summed, failures kept apart from
// answers), the answer it returns to the client, and why a looper may not run for a request.
import { LooperFailedError } from '../../errors.ts';
import type { CompiledModel } from '../../policy/policy.ts';
import type { CandidateScore, ModelCandidate, SelectionContext } from '../model-selector.ts';
import {
  type CallUsage,
  LOOPER_REQUEST_HEADER,
  type LooperCall,
  LooperCallError,
  type LooperCaller,
  type LooperReply,
} from './looper-caller.ts';

/** The combined answer a looper returns to the client itself (an immediate response). */
export interface LooperAnswer {
  readonly algorithm: string;
  /** The policy model whose answer is returned (the judge or planner when one writes the final answer). */
  readonly model: string;
  readonly content: string;
  /** The summed usage of every call the looper made. */
  readonly usage: CallUsage;
  readonly calls: number;
  /** The answers the final one was built from, when the algorithm's include_intermediate_responses is on. */
  readonly intermediate?: readonly { readonly model: string; readonly content: string }[];
}

export type CallOutcome =
  | { readonly ok: true; readonly model: string; readonly reply: LooperReply }
  | { readonly ok: false; readonly model: string; readonly error: string };

/** Client request fields a looper call never forwards: the looper answers with text only. */
const TOOL_FIELDS = ['tools', 'tool_choice', 'parallel_tool_calls', 'functions', 'function_call', 'n'];

/** One looper execution for one request: its calls and their summed usage. */
export class LooperRun {
  readonly algorithm: string;
  readonly messages: readonly unknown[];
  readonly #caller: LooperCaller;
  readonly #signal: AbortSignal | undefined;
  readonly #models: ReadonlyMap<string, CompiledModel>;
  readonly #body: Readonly<Record<string, unknown>>;
  #promptTokens = 0;
  #completionTokens = 0;
  #calls = 0;

  constructor(algorithm: string, caller: LooperCaller, context: SelectionContext) {
    this.algorithm = algorithm;
    this.#caller = caller;
    this.#signal = context.signal;
    this.#models = context.models;
    const body: Record<string, unknown> = { ...context.request.request.body };
    for (const name of TOOL_FIELDS) delete body[name];
    this.#body = body;
    this.messages = Array.isArray(body.messages) ? body.messages : [];
  }

  get usage(): CallUsage {
    return { promptTokens: this.#promptTokens, completionTokens: this.#completionTokens };
  }

  get calls(): number {
    return this.#calls;
  }

  /** The name in the call's `model`: the LoRA adapter, else the model's provider id. */
  private upstreamModel(model: string, loraName?: string): string {
    return loraName ?? this.#models.get(model)?.providerModelId ?? model;
  }

  /**
   * Calls `model`; never throws. `ownBody` sends only the given messages and limits (helper prompts: the planner,
   * the judge, the prompt selector), not the client's sampling fields.
   */
  async call(
    model: string,
    options: Omit<LooperCall, 'algorithm' | 'upstreamModel' | 'body'> & {
      readonly loraName?: string | undefined;
      readonly ownBody?: boolean;
    } = {},
  ): Promise<CallOutcome> {
    const { loraName, ownBody, ...rest } = options;
    this.#calls += 1;
    try {
      const reply = await this.#caller.call(
        {
          ...rest,
          algorithm: this.algorithm,
          upstreamModel: this.upstreamModel(model, loraName),
          body: ownBody ? {} : this.#body,
        },
        this.#signal,
      );
      this.#promptTokens += reply.usage.promptTokens;
      this.#completionTokens += reply.usage.completionTokens;
      return { ok: true, model, reply };
    } catch (error) {
      const message = error instanceof LooperCallError ? error.message : 'the looper call failed';
      return { ok: false, model, error: message };
    }
  }

  /** Fails the request when the client has gone: no answer is wanted any more. */
  throwIfAborted(): void {
    if (this.#signal?.aborted) throw new LooperFailedError(`${this.algorithm}: the client went away`);
  }

  answer(
    model: string,
    content: string,
    intermediate?: readonly { readonly model: string; readonly content: string }[],
  ): LooperAnswer {
    return {
      algorithm: this.algorithm,
      model,
      content,
      usage: this.usage,
      calls: this.#calls,
      ...(intermediate && { intermediate }),
    };
  }
}

/** Runs `task` over `items` with at most `limit` in flight; results in input order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

export type OnError = 'skip' | 'fail';

/**
 * The successful outcomes of a batch of calls, or a LooperFailedError: under `fail` any failure fails the
 * request; under `skip` the request goes on when at least `minSuccessful` calls succeeded.
 */
export function successfulOutcomes(
  algorithm: string,
  what: string,
  outcomes: readonly CallOutcome[],
  onError: OnError,
  minSuccessful: number,
): Extract<CallOutcome, { ok: true }>[] {
  const failures = outcomes.filter((o): o is Extract<CallOutcome, { ok: false }> => !o.ok);
  const successes = outcomes.filter((o): o is Extract<CallOutcome, { ok: true }> => o.ok);
  const needed = Math.min(Math.max(1, minSuccessful), outcomes.length);
  if ((onError === 'fail' && failures.length > 0) || successes.length < needed) {
    const why = failures.map((f) => `${f.model}: ${f.error}`).join('; ');
    throw new LooperFailedError(
      `${algorithm}: ${successes.length} of ${outcomes.length} ${what} succeeded (${onError === 'fail' ? 'on_error: fail' : `${needed} needed`})${why ? `; ${why}` : ''}`,
    );
  }
  return successes;
}

/** Why a looper cannot run for this request (it then routes the request to its final model), or undefined. */
export function looperUnavailable(context: SelectionContext): string | undefined {
  if (context.request.headers.has(LOOPER_REQUEST_HEADER)) return 'looper call (loop guard)';
  if (!context.looper) return 'looper not configured';
  if (context.looper.planOnly) return 'planned only, no model called';
  if (context.request.request.api !== 'chat_completions') return 'looper needs the chat completions API';
  return undefined;
}

/** What explain and the debug header show of each candidate: its part in the looper. */
export function outcomeScores(
  outcomes: readonly CallOutcome[],
  parts: (outcome: Extract<CallOutcome, { ok: true }>) => Readonly<Record<string, number>> = () => ({}),
): CandidateScore[] {
  return outcomes.map((outcome) =>
    outcome.ok
      ? { model: outcome.model, score: 1, parts: parts(outcome) }
      : { model: outcome.model, score: 0, excluded: outcome.error },
  );
}

/** The candidate naming `model`, else a copy of the first with that model (a judge or planner outside modelRefs). */
export function candidateFor<C extends ModelCandidate>(candidates: readonly C[], model: string): C {
  return (
    candidates.find((c) => c.model === model) ??
    ({ ...(candidates[0] as C), model, loraName: undefined } as C)
  );
}
