// The selector shape of every looper algorithm: run the looper and hand back its answer, or, when no looper can run
// for the request, route the request itself to the algorithm's final model and say why.
import type {
  CandidateScore,
  ModelCandidate,
  ModelSelector,
  Selection,
  SelectionContext,
} from '../model-selector.ts';
import type { LooperCaller } from './looper-caller.ts';
import { type LooperAnswer, LooperRun, looperUnavailable } from './looper-run.ts';

export interface LooperOutcome<C extends ModelCandidate> {
  /** The candidate whose answer is returned (the judge or planner as a candidate when it writes the answer). */
  readonly candidate: C;
  readonly answer: LooperAnswer;
  readonly reason: string;
  readonly scores: readonly CandidateScore[];
}

export interface LooperAlgorithm {
  readonly name: string;
  /** Models the config names besides the modelRefs (judge, planner, analysis models). */
  readonly configModels?: readonly string[];
  /** The model a request goes to when no looper can run for it. */
  finalCandidate<C extends ModelCandidate>(candidates: readonly C[]): C;
  run<C extends ModelCandidate>(
    candidates: readonly C[],
    run: LooperRun,
    context: SelectionContext,
  ): Promise<LooperOutcome<C>>;
}

export function looperSelector(algorithm: LooperAlgorithm): ModelSelector {
  return {
    algorithm: algorithm.name,
    needsLooper: true,
    ...(algorithm.configModels && { configModels: algorithm.configModels }),
    async select<C extends ModelCandidate>(
      candidates: readonly C[],
      context: SelectionContext,
    ): Promise<Selection<C>> {
      const unavailable = looperUnavailable(context);
      if (unavailable !== undefined) {
        const candidate = algorithm.finalCandidate(candidates);
        return {
          candidate,
          reason: `${unavailable}: routed to ${candidate.model}`,
          scores: candidates.map((c) => ({ model: c.model, score: c.model === candidate.model ? 1 : 0 })),
        };
      }
      const run = new LooperRun(algorithm.name, context.looper as LooperCaller, context);
      const outcome = await algorithm.run(candidates, run, context);
      return {
        candidate: outcome.candidate,
        answer: outcome.answer,
        reason: `${outcome.reason} (${outcome.answer.calls} calls)`,
        scores: outcome.scores,
      };
    },
  };
}
