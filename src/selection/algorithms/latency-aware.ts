// `latency_aware`: the candidate whose recent answers came fastest (TTFT and TPOT percentiles from the response
// stage). Models without figures are tried first, a few requests at a time; a small exploration share keeps the
// figures of the others fresh; a model whose every pool breaker is open is never chosen.
import { z } from 'zod';
import type {
  CandidateScore,
  ModelCandidate,
  ModelSelector,
  Selection,
  SelectionAlgorithm,
  SelectionContext,
} from '../model-selector.ts';
import type { LatencyMetric } from '../model-stats.ts';
import { bestOf, round, unavailableReason } from './candidate-facts.ts';

const percentile = z.int().min(1, 'a percentile is 1..100').max(100, 'a percentile is 1..100');

export const latencyAwareConfigSchema = z
  .strictObject({
    /** Percentile of time per output token compared across candidates (e.g. 90). */
    tpot_percentile: percentile.optional(),
    /** Percentile of time to first token compared across candidates (e.g. 95). */
    ttft_percentile: percentile.optional(),
    description: z.string().optional(),
    /** Outcomes a model needs before its figures are trusted; until then it is tried first (bounded, see docs). */
    min_samples: z.int().min(0).default(3),
    /** Share of requests sent to a random other healthy candidate so its figures do not go stale (0..0.5). */
    exploration_rate: z.number().min(0).max(0.5).default(0.02),
  })
  .refine((c) => c.tpot_percentile !== undefined || c.ttft_percentile !== undefined, {
    message: 'latency_aware needs tpot_percentile, ttft_percentile or both (1..100)',
  });

export type LatencyAwareConfig = z.infer<typeof latencyAwareConfigSchema>;

interface MetricChoice {
  readonly metric: LatencyMetric;
  readonly percentile: number;
}

function configuredMetrics(config: LatencyAwareConfig): MetricChoice[] {
  const metrics: MetricChoice[] = [];
  if (config.ttft_percentile !== undefined)
    metrics.push({ metric: 'ttft', percentile: config.ttft_percentile });
  if (config.tpot_percentile !== undefined)
    metrics.push({ metric: 'tpot', percentile: config.tpot_percentile });
  return metrics;
}

/**
 * The metrics every measured candidate has figures for. TTFT and TPOT exist only for streamed answers; when a
 * candidate lacks one, comparing on it would be unfair, so it is dropped for all, and when none is shared the
 * end-to-end latency at the highest configured percentile stands in.
 */
function sharedMetrics(
  configured: readonly MetricChoice[],
  measured: readonly string[],
  context: SelectionContext,
): MetricChoice[] {
  const has = (choice: MetricChoice) =>
    measured.every(
      (model) => context.stats.percentile(model, choice.metric, choice.percentile) !== undefined,
    );
  const shared = configured.filter(has);
  if (shared.length > 0 || measured.length === 0) return shared;
  const fallback: MetricChoice = {
    metric: 'latency',
    percentile: Math.max(...configured.map((c) => c.percentile)),
  };
  return [fallback];
}

function hasFigures(model: string, context: SelectionContext): boolean {
  return (['ttft', 'tpot', 'latency'] as const).some(
    (m) => context.stats.percentile(model, m, 50) !== undefined,
  );
}

function partName(choice: MetricChoice): string {
  return `${choice.metric}_p${choice.percentile}_ms`;
}

export const latencyAwareSelection: SelectionAlgorithm<LatencyAwareConfig> = {
  name: 'latency_aware',
  configSchema: latencyAwareConfigSchema as z.ZodType<LatencyAwareConfig>,
  create: (config): ModelSelector => {
    const configured = configuredMetrics(config);
    return {
      algorithm: 'latency_aware',
      select<C extends ModelCandidate>(candidates: readonly C[], context: SelectionContext): Selection<C> {
        const excluded = candidates.map((c) => unavailableReason(context.models.get(c.model), context));
        const usable = candidates.filter((_, i) => excluded[i] === undefined);
        // Fewer outcomes (answered or in flight) than min_samples: not measured yet; at most min_samples requests
        // are in flight to it at a time, so a burst does not all land on an unknown model.
        const views = new Map(candidates.map((c) => [c, context.stats.view(c.model)]));
        const unmeasured = (c: C) => (views.get(c)?.samples ?? 0) < config.min_samples;
        const exploring = usable.find((c) => {
          const view = views.get(c);
          return unmeasured(c) && (view?.samples ?? 0) + (view?.inFlight ?? 0) < config.min_samples;
        });
        // Measured models with at least one latency figure: a model whose answers all failed has none and
        // scores 0 (last), without spoiling the comparison of the others.
        const measured = usable
          .filter((c) => !unmeasured(c) && hasFigures(c.model, context))
          .map((c) => c.model);
        const metrics = sharedMetrics(configured, measured, context);
        const scores = candidates.map((candidate, index): CandidateScore => {
          const reason = excluded[index];
          if (reason !== undefined) return { model: candidate.model, score: 0, excluded: reason };
          return {
            model: candidate.model,
            score: 0,
            parts: { samples: views.get(candidate)?.samples ?? 0 },
          };
        });
        // Score = 1 / mean over metrics of (value / best value): 1 for the fastest on every metric, 0.5 for a
        // model twice as slow on average; a measured model without usable figures (all failed) scores 0.
        const best = metrics.map((choice) => {
          let min = Number.POSITIVE_INFINITY;
          for (const model of measured) {
            const value = context.stats.percentile(model, choice.metric, choice.percentile);
            if (value !== undefined && value < min) min = value;
          }
          return Math.max(min, 1e-3);
        });
        candidates.forEach((candidate, index) => {
          if (excluded[index] !== undefined || unmeasured(candidate)) return;
          const parts: Record<string, number> = {};
          let ratioSum = 0;
          let complete = metrics.length > 0;
          metrics.forEach((choice, m) => {
            const value = context.stats.percentile(candidate.model, choice.metric, choice.percentile);
            if (value === undefined) {
              complete = false;
              return;
            }
            parts[partName(choice)] = round(value);
            ratioSum += Math.max(value, 1e-3) / (best[m] as number);
          });
          const score = complete ? metrics.length / ratioSum : 0;
          scores[index] = { model: candidate.model, score: round(score), parts };
        });
        if (usable.length === 0) {
          return {
            candidate: candidates[0] as C,
            scores,
            reason: 'every candidate unavailable (breakers open): first candidate',
          };
        }
        if (exploring) {
          return {
            candidate: exploring,
            scores,
            reason: `explored: fewer than ${config.min_samples} outcomes`,
          };
        }
        const fastest = bestOf(candidates, scores) ?? (usable[0] as C);
        if (config.exploration_rate > 0 && usable.length > 1 && context.random() < config.exploration_rate) {
          const others = usable.filter((c) => c !== fastest);
          const pick = others[Math.floor(context.random() * others.length)] as C;
          return {
            candidate: pick,
            scores,
            reason: `explored: refreshes figures (rate ${config.exploration_rate})`,
          };
        }
        const used = metrics.map((m) => `${m.metric} p${m.percentile}`).join(' + ');
        return { candidate: fastest, scores, reason: `lowest ${used || 'latency'}` };
      },
    };
  },
};
