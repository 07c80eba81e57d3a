// `hybrid`: the peer's blend of experience, AutoMix value and cost, with what an ext_proc router can measure.
// experience = how the model's recent answers went here (success share, speed); automix = policy quality × success
// share (the chance an answer needs no escalation); cost = expected request cost; router_dc = the RouterDC
// probability of the candidate for this prompt (src/selection/router-dc/), for candidates with a trained vector.
import { z } from 'zod';
import type {
  CandidateScore,
  ModelCandidate,
  ModelSelector,
  Selection,
  SelectionAlgorithm,
  SelectionContext,
} from '../model-selector.ts';
import { type RouterDcConfig, routerDcSelection } from '../router-dc/router-dc-selection.ts';
import {
  bestOf,
  contextMisfitReason,
  expectedCost,
  range,
  round,
  scaleDown,
  scaleUp,
  unavailableReason,
} from './candidate-facts.ts';

const weight = z.number().min(0, 'weights are ≥ 0');

export const hybridConfigSchema = z
  .strictObject({
    experience_weight: weight.optional(),
    /** The peer's older spelling of experience_weight. */
    elo_weight: weight.optional(),
    router_dc_weight: weight.optional(),
    /** Ours: the RouterDC model and candidate → profile map of the router_dc term (default: the built-in one). */
    router_dc: z.record(z.string(), z.unknown()).optional(),
    /** Component scores are always min-max normalised across the candidates (the peer's default). */
    normalize_scores: z
      .literal(true, { message: 'normalize_scores: scores are always normalised here' })
      .optional(),
    automix_weight: weight.default(0.2),
    cost_weight: weight.default(0.2),
    /** Percentile of end-to-end latency that experience compares (speed half of the term). */
    latency_percentile: z.int().min(1).max(100).default(50),
  })
  .refine((c) => c.experience_weight === undefined || c.elo_weight === undefined, {
    message: 'set experience_weight or its older name elo_weight, not both',
  })
  .transform((c, ctx) => {
    if ((c.router_dc_weight ?? 0) <= 0) return { ...c, routerDc: undefined };
    const parsed = routerDcSelection.configSchema.safeParse(c.router_dc ?? {});
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        ctx.addIssue({ code: 'custom', path: ['router_dc', ...issue.path], message: issue.message });
      return z.NEVER;
    }
    return { ...c, routerDc: parsed.data as RouterDcConfig | undefined };
  });

export type HybridConfig = z.infer<typeof hybridConfigSchema>;

/** Outcomes that smooth the success share toward 1/2 (Laplace): one failure of one answer is not a verdict. */
const PRIOR = 1;

export const hybridSelection: SelectionAlgorithm<HybridConfig> = {
  name: 'hybrid',
  configSchema: hybridConfigSchema as z.ZodType<HybridConfig>,
  inertFields: new Map([
    ['quality_gap_threshold', 'it is reserved in the peer, whose selector does not use it yet'],
  ]),
  create: (config): ModelSelector => {
    const experienceWeight = config.experience_weight ?? config.elo_weight ?? 0.3;
    const weights = {
      experience: experienceWeight,
      automix: config.automix_weight,
      cost: config.cost_weight,
      routerDc: config.routerDc === undefined ? 0 : (config.router_dc_weight ?? 0),
    };
    const routerDc = config.routerDc && routerDcSelection.create(config.routerDc);
    /** RouterDC's probability per candidate; undefined where it has no vector or could not score the prompt. */
    const routerDcScores = async <C extends ModelCandidate>(
      candidates: readonly C[],
      context: SelectionContext,
    ) => {
      const selection = routerDc ? await routerDc.select(candidates, context) : undefined;
      return candidates.map((_, i) => {
        const score = selection?.scores?.[i];
        return score === undefined || score.excluded !== undefined ? undefined : score.score;
      });
    };
    const blend = <C extends ModelCandidate>(
      candidates: readonly C[],
      context: SelectionContext,
      dcScores: readonly (number | undefined)[],
    ): Selection<C> => {
      const excluded = candidates.map((c) => {
        const model = context.models.get(c.model);
        return unavailableReason(model, context) ?? contextMisfitReason(model, context);
      });
      const facts = candidates.map((c) => {
        const model = context.models.get(c.model);
        const view = context.stats.view(c.model);
        const failures = view.errorRate * view.samples;
        const success = (view.samples - failures + PRIOR) / (view.samples + 2 * PRIOR);
        return {
          success,
          latency: context.stats.percentile(c.model, 'latency', config.latency_percentile),
          value: model?.quality === undefined ? undefined : model.quality * success,
          cost: expectedCost(model, context),
        };
      });
      const kept = facts.filter((_, i) => excluded[i] === undefined);
      const latency = kept.every((f) => f.latency !== undefined)
        ? range(kept.map((f) => f.latency))
        : undefined;
      const success = range(kept.map((f) => f.success));
      const value = kept.every((f) => f.value !== undefined) ? range(kept.map((f) => f.value)) : undefined;
      const cost = range(kept.map((f) => f.cost));
      const keptDc = dcScores.filter((_, i) => excluded[i] === undefined);
      const dc = keptDc.every((v) => v !== undefined) ? range(keptDc) : undefined;
      const scores: CandidateScore[] = candidates.map((candidate, index) => {
        const reason = excluded[index];
        if (reason !== undefined) return { model: candidate.model, score: 0, excluded: reason };
        const f = facts[index] as (typeof facts)[number];
        const parts: Record<string, number> = {};
        let total = 0;
        let active = 0;
        const term = (name: string, w: number, v: number | undefined) => {
          if (w <= 0 || v === undefined) return;
          parts[name] = round(v);
          total += w * v;
          active += w;
        };
        const successScore = success ? scaleUp(f.success, success.min, success.max) : 0.5;
        const speedScore =
          latency && f.latency !== undefined ? scaleDown(f.latency, latency.min, latency.max) : undefined;
        term(
          'experience',
          weights.experience,
          speedScore === undefined ? successScore : (successScore + speedScore) / 2,
        );
        term(
          'automix',
          weights.automix,
          value && f.value !== undefined ? scaleUp(f.value, value.min, value.max) : undefined,
        );
        term(
          'cost',
          weights.cost,
          cost && f.cost !== undefined ? scaleDown(f.cost, cost.min, cost.max) : undefined,
        );
        const dcScore = dcScores[index];
        term(
          'router_dc',
          weights.routerDc,
          dc && dcScore !== undefined ? scaleUp(dcScore, dc.min, dc.max) : undefined,
        );
        parts.success_share = round(f.success);
        return { model: candidate.model, score: round(active > 0 ? total / active : 0), parts };
      });
      const chosen = bestOf(candidates, scores);
      if (!chosen)
        return {
          candidate: candidates[0] as C,
          scores,
          reason: 'every candidate unavailable: first candidate',
        };
      return {
        candidate: chosen,
        scores,
        reason: `highest blend: experience ${round(weights.experience)}, automix ${round(weights.automix)}, cost ${round(weights.cost)}${weights.routerDc > 0 ? `, router_dc ${round(weights.routerDc)}` : ''}`,
      };
    };
    return {
      algorithm: 'hybrid',
      select<C extends ModelCandidate>(
        candidates: readonly C[],
        context: SelectionContext,
      ): Selection<C> | Promise<Selection<C>> {
        if (!routerDc) return blend(candidates, context, []);
        return routerDcScores(candidates, context).then((dc) => blend(candidates, context, dc));
      },
    };
  },
};
