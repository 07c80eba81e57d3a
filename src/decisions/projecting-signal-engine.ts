// A signal engine whose reports already carry the policy's projections: partitioned matches and projection outputs.
import type { RequestContext } from '../request/request-context.ts';
import {
  type FamilyEvaluator,
  SignalEngine,
  type SignalEngineOptions,
  type SignalReport,
} from '../signals/signal-engine.ts';
import type { SignalMatch } from '../signals/signal-family.ts';
import { applyProjections, type CompiledProjections, PROJECTION_CONDITION_TYPE } from './projections.ts';

/** Name of the pseudo-family under which explain and traces list projection outputs. */
export const PROJECTIONS_FAMILY = 'projections';

export class ProjectingSignalEngine extends SignalEngine {
  private readonly projections: CompiledProjections;

  constructor(
    evaluators: readonly FamilyEvaluator[],
    options: SignalEngineOptions,
    projections: CompiledProjections,
  ) {
    super(evaluators, options);
    this.projections = projections;
  }

  override async evaluate(context: RequestContext, only?: ReadonlySet<string>): Promise<SignalReport> {
    const report = await super.evaluate(context, only);
    const startedAt = performance.now();
    const { matches } = applyProjections(this.projections, report.matches);
    const outputs: SignalMatch[] = [];
    for (const [key, match] of matches)
      if (key.startsWith(`${PROJECTION_CONDITION_TYPE}:`)) outputs.push(match);
    const outcome = {
      family: PROJECTIONS_FAMILY,
      conditionType: PROJECTION_CONDITION_TYPE,
      matches: outputs,
      startedAt,
      durationMs: performance.now() - startedAt,
    };
    return { ...report, matches, families: [...report.families, outcome] };
  }
}
