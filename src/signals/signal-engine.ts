// Runs the signal families a policy references, concurrently, each within a time budget; failures match nothing.

import { signalKey } from '../decisions/rule-tree.ts';
import type { RequestContext } from '../request/request-context.ts';
import type { SignalEvaluator, SignalMatch } from './signal-family.ts';

export interface FamilyEvaluator {
  readonly family: string;
  readonly conditionType: string;
  readonly evaluator: SignalEvaluator;
}

export interface FamilyOutcome {
  readonly family: string;
  readonly conditionType: string;
  readonly matches: readonly SignalMatch[];
  /** performance.now() when the family started (telemetry places its span with it). */
  readonly startedAt: number;
  readonly durationMs: number;
  /** Set when the family failed or ran out of time; it then contributes no matches (on_error: no match). */
  readonly error?: string;
  /** The failure was the time budget running out. */
  readonly timedOut?: boolean;
}

export interface SignalReport {
  /** Matches keyed by `conditionType:name`, what decisions look up. */
  readonly matches: ReadonlyMap<string, SignalMatch>;
  readonly families: readonly FamilyOutcome[];
}

export interface SignalEngineOptions {
  /** Time budget of an asynchronous family; synchronous families are bounded by their own input limits. */
  readonly timeoutMs: number;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

class BudgetExceeded extends Error {}

function timeout(ms: number): { promise: Promise<never>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BudgetExceeded(`timed out after ${ms} ms`)), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

export class SignalEngine {
  constructor(
    private readonly evaluators: readonly FamilyEvaluator[],
    private readonly options: SignalEngineOptions,
  ) {}

  get familyNames(): readonly string[] {
    return this.evaluators.map((e) => e.family);
  }

  async evaluate(context: RequestContext): Promise<SignalReport> {
    const pending: Promise<FamilyOutcome>[] = [];
    const done: FamilyOutcome[] = [];
    for (const { family, conditionType, evaluator } of this.evaluators) {
      const started = performance.now();
      const finish = (matches: readonly SignalMatch[], failure?: { error: unknown }): FamilyOutcome => ({
        family,
        conditionType,
        matches,
        startedAt: started,
        durationMs: performance.now() - started,
        ...(failure && {
          error: describeError(failure.error),
          ...(failure.error instanceof BudgetExceeded && { timedOut: true }),
        }),
      });
      try {
        const result = evaluator.evaluate(context);
        if (result instanceof Promise) {
          const budget = timeout(this.options.timeoutMs);
          pending.push(
            Promise.race([result, budget.promise])
              .then((matches) => finish(matches))
              .catch((error: unknown) => finish([], { error }))
              .finally(budget.cancel),
          );
        } else {
          done.push(finish(result));
        }
      } catch (error) {
        done.push(finish([], { error }));
      }
    }
    const families = pending.length > 0 ? [...done, ...(await Promise.all(pending))] : done;
    const matches = new Map<string, SignalMatch>();
    for (const outcome of families) {
      for (const match of outcome.matches) matches.set(signalKey(outcome.conditionType, match.name), match);
    }
    return { matches, families };
  }

  close(): void {
    for (const { evaluator } of this.evaluators) evaluator.close?.();
  }
}
