// `multi_factor`: a weighted score of predicted quality, expected cost, recent latency and load, after SLO ceilings
// have excluded the candidates that break them. Every candidate's score comes back with its parts (explain, span).
import { z } from 'zod';
import { NoPoolError } from '../../errors.ts';
import type {
  CandidateScore,
  ModelCandidate,
  ModelSelector,
  Selection,
  SelectionAlgorithm,
  SelectionContext,
} from '../model-selector.ts';
import type { LatencyMetric } from '../model-stats.ts';
import {
  bestOf,
  blendedPricePer1m,
  contextMisfitReason,
  expectedCost,
  range,
  round,
  scaleDown,
  scaleUp,
  unavailableReason,
} from './candidate-facts.ts';

const weight = z.number().min(0, 'weights are ≥ 0');
/** A ceiling; 0 (the peer's spelling of "none") or absent: no ceiling. */
const ceiling = z.number().min(0).optional();

export const multiFactorConfigSchema = z.strictObject({
  weights: z
    .strictObject({
      quality: weight.default(0.25),
      latency: weight.default(0.25),
      cost: weight.default(0.25),
      load: weight.default(0.25),
    })
    .default({ quality: 0.25, latency: 0.25, cost: 0.25, load: 0.25 }),
  slo: z
    .strictObject({
      max_tpot_ms: ceiling,
      max_ttft_ms: ceiling,
      max_cost_per_1m: ceiling,
      max_inflight: z.int().min(0).optional(),
    })
    .default({}),
  latency_percentile: z.int().min(1).max(100).default(95),
  /** Which latency figure the latency weight compares; default: TPOT, else TTFT, else end-to-end latency. */
  latency_metric: z.enum(['tpot', 'ttft', 'latency']).optional(),
  on_no_candidates: z
    .enum(['cheapest', 'first', 'fail'], { message: 'on_no_candidates is cheapest, first or fail' })
    .default('cheapest'),
});

export type MultiFactorConfig = z.infer<typeof multiFactorConfigSchema>;

interface Weights {
  readonly quality: number;
  readonly latency: number;
  readonly cost: number;
  readonly load: number;
}

/** Weights scaled to sum to 1; all zero means equal weights (the peer's recoverable default). */
function normalised(weights: Weights): Weights {
  const sum = weights.quality + weights.latency + weights.cost + weights.load;
  if (sum <= 0) return { quality: 0.25, latency: 0.25, cost: 0.25, load: 0.25 };
  return {
    quality: weights.quality / sum,
    latency: weights.latency / sum,
    cost: weights.cost / sum,
    load: weights.load / sum,
  };
}

/** The raw figures of one candidate; undefined where the router has none. */
interface Figures {
  /** Policy quality × the model's recent success share: the chance of a good answer. */
  readonly quality: number | undefined;
  readonly errorRate: number;
  readonly latencyMs: number | undefined;
  readonly cost: number | undefined;
  readonly inFlight: number;
}

/** The first latency figure every candidate has, in the configured or default order. */
function latencyMetricFor(
  config: MultiFactorConfig,
  models: readonly string[],
  context: SelectionContext,
): LatencyMetric | undefined {
  const order: LatencyMetric[] = config.latency_metric
    ? [config.latency_metric]
    : ['tpot', 'ttft', 'latency'];
  return order.find((metric) =>
    models.every((model) => context.stats.percentile(model, metric, config.latency_percentile) !== undefined),
  );
}

function sloViolation(
  config: MultiFactorConfig,
  model: string,
  context: SelectionContext,
): string | undefined {
  const { slo, latency_percentile: p } = config;
  const check = (metric: LatencyMetric, limit: number | undefined): string | undefined => {
    if (!limit) return undefined;
    const value = context.stats.percentile(model, metric, p);
    return value !== undefined && value > limit
      ? `slo: ${metric} p${p} ${Math.round(value)} ms > ${limit} ms`
      : undefined;
  };
  const latency = check('ttft', slo.max_ttft_ms) ?? check('tpot', slo.max_tpot_ms);
  if (latency) return latency;
  if (slo.max_cost_per_1m) {
    const price = blendedPricePer1m(context.models.get(model), context);
    if (price !== undefined && price > slo.max_cost_per_1m)
      return `slo: price ${round(price)}/1M > ${slo.max_cost_per_1m}/1M`;
  }
  if (slo.max_inflight) {
    const inFlight = context.stats.view(model).inFlight;
    if (inFlight > slo.max_inflight) return `slo: ${inFlight} in flight > ${slo.max_inflight}`;
  }
  return undefined;
}

export const multiFactorSelection: SelectionAlgorithm<MultiFactorConfig> = {
  name: 'multi_factor',
  configSchema: multiFactorConfigSchema as z.ZodType<MultiFactorConfig>,
  create: (config): ModelSelector => {
    const weights = normalised(config.weights);
    return {
      algorithm: 'multi_factor',
      select<C extends ModelCandidate>(candidates: readonly C[], context: SelectionContext): Selection<C> {
        const excluded = candidates.map((c) => {
          const model = context.models.get(c.model);
          return (
            unavailableReason(model, context) ??
            contextMisfitReason(model, context) ??
            sloViolation(config, c.model, context)
          );
        });
        const kept = candidates.filter((_, i) => excluded[i] === undefined);
        if (kept.length === 0) return noCandidate(config, candidates, excluded, context);

        const metric = latencyMetricFor(
          config,
          kept.map((c) => c.model),
          context,
        );
        const figures = candidates.map((c): Figures => {
          const model = context.models.get(c.model);
          const view = context.stats.view(c.model);
          return {
            quality: model?.quality === undefined ? undefined : model.quality * (1 - view.errorRate),
            errorRate: view.errorRate,
            latencyMs: metric && context.stats.percentile(c.model, metric, config.latency_percentile),
            cost: expectedCost(model, context),
            inFlight: view.inFlight,
          };
        });
        const keptFigures = figures.filter((_, i) => excluded[i] === undefined);
        // A quality known for some candidates only would favour or punish the others arbitrarily: weigh it for
        // none (the peer's default), and say so in the reason.
        const qualityKnown = keptFigures.every((f) => f.quality !== undefined);
        const quality = qualityKnown ? range(keptFigures.map((f) => f.quality)) : undefined;
        const latency = range(keptFigures.map((f) => f.latencyMs));
        const cost = range(keptFigures.map((f) => f.cost));
        const load = range(keptFigures.map((f) => f.inFlight));

        const scores: CandidateScore[] = candidates.map((candidate, index) => {
          const reason = excluded[index];
          if (reason !== undefined) return { model: candidate.model, score: 0, excluded: reason };
          const f = figures[index] as Figures;
          const parts: Record<string, number> = {};
          let total = 0;
          let active = 0;
          const term = (name: string, w: number, value: number | undefined) => {
            if (w <= 0 || value === undefined) return;
            parts[name] = round(value);
            total += w * value;
            active += w;
          };
          term(
            'quality',
            weights.quality,
            quality && f.quality !== undefined ? scaleUp(f.quality, quality.min, quality.max) : undefined,
          );
          term(
            'latency',
            weights.latency,
            latency && f.latencyMs !== undefined
              ? scaleDown(f.latencyMs, latency.min, latency.max)
              : undefined,
          );
          term(
            'cost',
            weights.cost,
            cost && f.cost !== undefined ? scaleDown(f.cost, cost.min, cost.max) : undefined,
          );
          term('load', weights.load, load ? scaleDown(f.inFlight, load.min, load.max) : undefined);
          if (f.latencyMs !== undefined && metric)
            parts[`${metric}_p${config.latency_percentile}_ms`] = round(f.latencyMs);
          if (f.cost !== undefined) parts.expected_cost = round(f.cost * 1_000_000) / 1_000_000;
          if (f.errorRate > 0) parts.error_rate = round(f.errorRate);
          return { model: candidate.model, score: round(active > 0 ? total / active : 0), parts };
        });
        const chosen = bestOf(candidates, scores) ?? (kept[0] as C);
        const notes = [
          `weighted quality ${round(weights.quality)}, latency ${round(weights.latency)}, cost ${round(weights.cost)}, load ${round(weights.load)}`,
        ];
        if (!qualityKnown && weights.quality > 0) notes.push('quality not weighed (unknown for a candidate)');
        if (kept.length < candidates.length) notes.push(`${candidates.length - kept.length} excluded`);
        return { candidate: chosen, scores, reason: `highest score: ${notes.join('; ')}` };
      },
    };
  },
};

/** Every candidate broke a ceiling or is unavailable: the policy's `on_no_candidates`. */
function noCandidate<C extends ModelCandidate>(
  config: MultiFactorConfig,
  candidates: readonly C[],
  excluded: readonly (string | undefined)[],
  context: SelectionContext,
): Selection<C> {
  const scores: CandidateScore[] = candidates.map((c, i) => ({
    model: c.model,
    score: 0,
    excluded: excluded[i] as string,
  }));
  if (config.on_no_candidates === 'fail') {
    throw new NoPoolError(
      `multi_factor excluded every candidate of decision '${context.decision}' (${excluded.join('; ')})`,
    );
  }
  if (config.on_no_candidates === 'first')
    return {
      candidate: candidates[0] as C,
      scores,
      reason: 'every candidate excluded: first (on_no_candidates)',
    };
  let cheapest = candidates[0] as C;
  let lowest = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const cost = expectedCost(context.models.get(candidate.model), context) ?? Number.POSITIVE_INFINITY;
    if (cost < lowest) {
      lowest = cost;
      cheapest = candidate;
    }
  }
  return { candidate: cheapest, scores, reason: 'every candidate excluded: cheapest (on_no_candidates)' };
}
