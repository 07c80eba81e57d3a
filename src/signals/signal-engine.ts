// Runs the signal families a policy references, concurrently, each within its time budget and scan limit. A family
// that fails, runs out of time or cannot read the whole text reports its failure; what that means for each rule
// (`on_error`: skip, match, fail) is decided where decisions read the report.

import { signalKey } from '../decisions/rule-tree.ts';
import { LazyAbortController } from '../lazy-abort.ts';
import type { OnError } from '../policy/policy-schema.ts';
import type { RequestContext } from '../request/request-context.ts';
import { applyComposers, type SignalComposer } from './signal-composers.ts';
import type { SignalEvaluator, SignalMatch } from './signal-family.ts';
import { type SignalRun, TextTooLongError } from './text-scan.ts';

export interface FamilyEvaluator {
  readonly family: string;
  readonly conditionType: string;
  readonly evaluator: SignalEvaluator;
  /** `on_error` of every name decisions may reference in this family. */
  readonly onError: ReadonlyMap<string, OnError>;
  /** Time budget of this family in ms. */
  readonly budgetMs: number;
}

/** Why a family produced no result. */
export type FamilyFailure = 'error' | 'timeout' | 'too_long';

export interface FamilyOutcome {
  readonly family: string;
  readonly conditionType: string;
  readonly matches: readonly SignalMatch[];
  /** performance.now() when the family started (telemetry places its span with it). */
  readonly startedAt: number;
  readonly durationMs: number;
  /** Set when the family failed, ran out of time or could not read the whole text; it then has no matches. */
  readonly error?: string;
  readonly failure?: FamilyFailure;
  /** The failure was the time budget running out. */
  readonly timedOut?: boolean;
}

export interface SignalReport {
  /** Matches keyed by `conditionType:name`, what decisions look up. */
  readonly matches: ReadonlyMap<string, SignalMatch>;
  /** Names of failed families, keyed like `matches`, with the rule's `on_error` (a leaf may override it). */
  readonly failed: ReadonlyMap<string, OnError>;
  readonly families: readonly FamilyOutcome[];
}

export interface SignalEngineOptions {
  /** Most characters a family may scan per request (limits.max_scan_chars). */
  readonly maxScanChars: number;
  /** Rules gated by a composer over the other signals (signal-composers.ts), applied once all families ran. */
  readonly composers?: readonly SignalComposer[];
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

class BudgetExceeded extends Error {}

/** How often the budget clock ticks, as a fraction of the budget (at least 5 ms). */
const TICKS_PER_BUDGET = 10;
/** A tick this many steps late means the event loop was blocked by someone else: that time is not charged. */
const STALL_FACTOR = 3;

/**
 * A family's time budget on a clock that only charges time the event loop was available: a tick that arrives
 * far too late (other streams, a GC pause, a loaded machine) is charged one step, so a family whose work runs in a
 * worker or waits for I/O is never starved by a busy loop. When the budget is over, the check waits one more turn
 * of the loop so a result already delivered wins over the timeout.
 */
function budgetTimer(
  ms: number,
  controller: LazyAbortController,
): { promise: Promise<never>; cancel: () => void } {
  const step = Math.max(5, ms / TICKS_PER_BUDGET);
  let charged = 0;
  let last = performance.now();
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let cancelled = false;
  const promise = new Promise<never>((_, reject) => {
    const tick = () => {
      const now = performance.now();
      const elapsed = now - last;
      last = now;
      charged += elapsed > step * STALL_FACTOR ? step : elapsed;
      if (charged < ms) {
        timer = setTimeout(tick, Math.min(step, ms - charged));
        return;
      }
      immediate = setImmediate(() => {
        if (cancelled) return;
        const error = new BudgetExceeded(`timed out after ${ms} ms`);
        controller.abort(error);
        reject(error);
      });
    };
    timer = setTimeout(tick, Math.min(step, ms));
  });
  // The race may settle first; an unobserved rejection must not surface.
  promise.catch(() => undefined);
  return {
    promise,
    cancel: () => {
      cancelled = true;
      clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
    },
  };
}

function failureOf(error: unknown): FamilyFailure {
  if (error instanceof BudgetExceeded) return 'timeout';
  if (error instanceof TextTooLongError) return 'too_long';
  return 'error';
}

/** The run a family evaluates in: its scan limit, and a budget signal made only if the family asks for it. */
class FamilyRun extends LazyAbortController implements SignalRun {
  constructor(readonly maxScanChars: number) {
    super();
  }
}

function outcomeOf(
  entry: FamilyEvaluator,
  startedAt: number,
  matches: readonly SignalMatch[],
): FamilyOutcome {
  return {
    family: entry.family,
    conditionType: entry.conditionType,
    matches,
    startedAt,
    durationMs: performance.now() - startedAt,
  };
}

function failedOutcome(entry: FamilyEvaluator, startedAt: number, error: unknown): FamilyOutcome {
  const failure = failureOf(error);
  return {
    ...outcomeOf(entry, startedAt, []),
    error: describeError(error) || 'failed',
    failure,
    ...(failure === 'timeout' && { timedOut: true }),
  };
}

export class SignalEngine {
  private readonly byFamily: ReadonlyMap<string, FamilyEvaluator>;

  constructor(
    private readonly evaluators: readonly FamilyEvaluator[],
    private readonly options: SignalEngineOptions,
  ) {
    this.byFamily = new Map(evaluators.map((e) => [e.family, e]));
  }

  get familyNames(): readonly string[] {
    return this.evaluators.map((e) => e.family);
  }

  /** The evaluator of a family key, when the policy runs it. */
  evaluatorOf(family: string): FamilyEvaluator | undefined {
    return this.byFamily.get(family);
  }

  /**
   * Runs every family, or only those in `only` (e.g. the families enforced decisions need when the client named
   * a model).
   */
  async evaluate(context: RequestContext, only?: ReadonlySet<string>): Promise<SignalReport> {
    const running: (FamilyOutcome | Promise<FamilyOutcome>)[] = [];
    let pending = false;
    // One clock read between two families: a family that finished synchronously ended when the next one starts.
    let now = performance.now();
    for (const entry of this.evaluators) {
      if (only !== undefined && !only.has(entry.family)) continue;
      const outcome = this.runFamily(entry, context, now);
      if (outcome instanceof Promise) {
        pending = true;
        now = performance.now();
      } else {
        now = outcome.startedAt + outcome.durationMs;
      }
      running.push(outcome);
    }
    const families = pending ? await Promise.all(running) : (running as FamilyOutcome[]);
    const matches = new Map<string, SignalMatch>();
    const failed = new Map<string, OnError>();
    for (const outcome of families) {
      for (const match of outcome.matches) matches.set(signalKey(outcome.conditionType, match.name), match);
      if (outcome.failure === undefined) continue;
      const entry = this.byFamily.get(outcome.family);
      for (const [name, onError] of entry?.onError ?? [])
        failed.set(signalKey(outcome.conditionType, name), onError);
    }
    if (this.options.composers?.length) applyComposers(matches, failed, this.options.composers);
    return { matches, failed, families };
  }

  /** Synchronous for a synchronous family (most are): no promise, no microtask. */
  private runFamily(
    entry: FamilyEvaluator,
    context: RequestContext,
    startedAt: number,
  ): FamilyOutcome | Promise<FamilyOutcome> {
    const run = new FamilyRun(this.options.maxScanChars);
    let result: readonly SignalMatch[] | Promise<readonly SignalMatch[]>;
    try {
      result = entry.evaluator.evaluate(context, run);
    } catch (error) {
      return failedOutcome(entry, startedAt, error);
    }
    if (!(result instanceof Promise)) return outcomeOf(entry, startedAt, result);
    return this.settle(entry, startedAt, run, result);
  }

  private async settle(
    entry: FamilyEvaluator,
    startedAt: number,
    run: FamilyRun,
    result: Promise<readonly SignalMatch[]>,
  ): Promise<FamilyOutcome> {
    const budget = budgetTimer(entry.budgetMs, run);
    try {
      return outcomeOf(entry, startedAt, await Promise.race([result, budget.promise]));
    } catch (error) {
      // Stop work still going on in the family (chunked scans check the signal between chunks).
      run.abort(error);
      return failedOutcome(entry, startedAt, error);
    } finally {
      budget.cancel();
    }
  }

  close(): void {
    for (const { evaluator } of this.evaluators) evaluator.close?.();
  }
}
