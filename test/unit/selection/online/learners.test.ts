// The online learners converge to the better candidate on synthetic rewards (seeded, deterministic): elo from
// explicit feedback scores and pairwise preferences, rl_driven from response-stage outcomes, per context.
import { describe, expect, it } from 'vitest';
import type { CompiledModel } from '../../../../src/policy/policy.ts';
import { seededRandom } from '../../../../src/seeded-random.ts';
import {
  type ModelCandidate,
  type SelectionContext,
  type SelectionOutcome,
  selectionAlgorithms,
} from '../../../../src/selection/model-selector.ts';
import { type EloConfig, type EloSelector, eloSelection } from '../../../../src/selection/online/elo.ts';
import {
  type RlDrivenConfig,
  type RlDrivenSelector,
  rlDrivenSelection,
} from '../../../../src/selection/online/rl-driven.ts';
import { MemoryStore } from '../../../../src/state/shared-store.ts';
import { selectionContext } from '../../../helpers/selection-context.ts';

const candidate = (model: string): ModelCandidate => ({ model, weight: 1, useReasoning: false });
const CANDIDATES = ['small', 'medium', 'large'].map(candidate);

function elo(raw: Record<string, unknown> = {}): EloSelector {
  return eloSelection.create(eloSelection.configSchema.parse(raw) as EloConfig) as EloSelector;
}
function rl(raw: Record<string, unknown> = {}): RlDrivenSelector {
  return rlDrivenSelection.create(
    rlDrivenSelection.configSchema.parse(raw) as RlDrivenConfig,
  ) as RlDrivenSelector;
}

function outcome(context: SelectionContext, model: string, memo: unknown, failed: boolean): SelectionOutcome {
  return {
    decision: context.decision,
    model,
    requestId: undefined,
    memo,
    status: failed ? 500 : 200,
    failed,
    store: context.store,
  };
}

/** Picks over `rounds`, feeding each choice's Bernoulli(quality) outcome back; counts picks in the last quarter. */
async function runBandit(
  selector: RlDrivenSelector,
  quality: Readonly<Record<string, number>>,
  rounds: number,
  contextFor: (round: number) => SelectionContext,
  seed = 7,
): Promise<Map<string, number>> {
  const world = seededRandom(seed);
  const late = new Map<string, number>();
  for (let round = 0; round < rounds; round++) {
    const context = contextFor(round);
    const selection = await selector.select(CANDIDATES, context);
    const model = selection.candidate.model;
    if (round >= rounds * 0.75) late.set(model, (late.get(model) ?? 0) + 1);
    await selector.observe(outcome(context, model, selection.memo, world() >= (quality[model] ?? 0)));
  }
  return late;
}

describe('registry', () => {
  it('lists elo and rl_driven', () => {
    expect(selectionAlgorithms.has('elo')).toBe(true);
    expect(selectionAlgorithms.has('rl_driven')).toBe(true);
  });
});

describe('elo', () => {
  it('starts every candidate at the initial rating and serves the first in decision order', async () => {
    const context = selectionContext({ seed: 1 });
    const selection = await elo({ initial_rating: 1200 }).select(CANDIDATES, context);
    expect(selection.candidate.model).toBe('small');
    expect(selection.scores?.map((s) => s.score)).toEqual([1200, 1200, 1200]);
  });

  it('learns from explicit feedback scores to serve the candidate clients rate best', async () => {
    const store = new MemoryStore();
    const selector = elo({ exploration_rate: 0.1 });
    const quality: Record<string, number> = { small: 0.35, medium: 0.8, large: 0.55 };
    const world = seededRandom(11);
    const picks = new Map<string, number>();
    for (let round = 0; round < 1200; round++) {
      const context = selectionContext({ store, seed: round + 1, decision: 'chat' });
      const selection = await selector.select(CANDIDATES, context);
      const model = selection.candidate.model;
      if (round >= 900) picks.set(model, (picks.get(model) ?? 0) + 1);
      const score = world() < (quality[model] as number) ? 1 : 0;
      await selector.feedback({ decision: 'chat', model, memo: selection.memo, score, store });
    }
    expect(picks.get('medium') ?? 0).toBeGreaterThan(300 * 0.85);
    const ratings = await selector.ratings(store, 'chat', ['small', 'medium', 'large']);
    expect(ratings.get('medium')?.rating).toBeGreaterThan(ratings.get('large')?.rating as number);
    expect(ratings.get('large')?.rating).toBeGreaterThan(ratings.get('small')?.rating as number);
  });

  it('applies the standard Elo update to pairwise preferences, per decision and globally', async () => {
    const store = new MemoryStore();
    const selector = elo({ k_factor: 32 });
    await selector.compare({ store, decision: 'code', winner: 'large', loser: 'small', tie: false });
    const code = await selector.ratings(store, 'code', ['large', 'small']);
    expect(code.get('large')?.rating).toBeCloseTo(1516);
    expect(code.get('small')?.rating).toBeCloseTo(1484);
    // Another decision has no ratings of its own yet: it falls back to the global ones.
    const chat = await selector.ratings(store, 'chat', ['large']);
    expect(chat.get('large')?.rating).toBeCloseTo(1516);
    await selector.compare({ store, decision: 'code', winner: 'large', loser: 'small', tie: true });
    const after = await selector.ratings(store, 'code', ['large']);
    expect(after.get('large')?.rating).toBeLessThan(1516);
  });

  it('counts a failed answer as a loss at the implicit weight, and ignores successes', async () => {
    const store = new MemoryStore();
    const selector = elo({ implicit_feedback_weight: 0.5 });
    const context = selectionContext({ store, decision: 'd' });
    const selection = await selector.select(CANDIDATES, context);
    await selector.observe(outcome(context, 'small', selection.memo, false));
    expect((await selector.ratings(store, 'd', ['small'])).get('small')?.rating).toBe(1500);
    await selector.observe(outcome(context, 'small', selection.memo, true));
    const ratings = await selector.ratings(store, 'd', ['small', 'medium']);
    expect(ratings.get('small')?.rating).toBeLessThan(1500);
    expect((await selector.select(CANDIDATES, context)).candidate.model).not.toBe('small');
  });

  it('rejects the peer fields it does not implement, naming the reason', () => {
    const result = eloSelection.configSchema.safeParse({ storage_path: '/var/lib/elo.json' });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain('state_store');
    expect(eloSelection.configSchema.safeParse({ decay_factor: 0 }).success).toBe(true);
  });
});

describe('rl_driven', () => {
  it('converges to the candidate with the best success rate and keeps exploring within its bound', async () => {
    const store = new MemoryStore();
    const selector = rl({ exploration_rate: 0.3, min_exploration: 0.05 });
    const late = await runBandit(selector, { small: 0.6, medium: 0.75, large: 0.9 }, 2000, (round) =>
      selectionContext({ store, seed: round + 1, decision: 'd' }),
    );
    const share = (late.get('large') ?? 0) / 500;
    expect(share).toBeGreaterThan(0.85);
    // Exploration never stops entirely (min_exploration), so the others are still sampled now and then.
    expect((late.get('small') ?? 0) + (late.get('medium') ?? 0)).toBeGreaterThan(0);
    expect(selector.explorationRate(0)).toBeCloseTo(0.3);
    expect(selector.explorationRate(100_000)).toBeCloseTo(0.05);
  });

  it('learns a different best candidate per context (prompt length bucket)', async () => {
    const store = new MemoryStore();
    const selector = rl({ context: { prompt_length_buckets: [200] }, global_prior_weight: 0.2 });
    const shortPrompt = 'hi';
    const longPrompt = 'word '.repeat(400);
    const world = seededRandom(3);
    const late = { short: new Map<string, number>(), long: new Map<string, number>() };
    for (let round = 0; round < 3000; round++) {
      const long = round % 2 === 1;
      const context = selectionContext({
        store,
        seed: round + 1,
        decision: 'd',
        request: long ? longPrompt : shortPrompt,
      });
      const selection = await selector.select(CANDIDATES, context);
      const model = selection.candidate.model;
      // Short prompts: the small model answers as well as the large one and is cheaper; long ones need `large`.
      const quality = long
        ? { small: 0.2, medium: 0.5, large: 0.9 }
        : { small: 0.9, medium: 0.6, large: 0.5 };
      if (round >= 2000) {
        const bucket = long ? late.long : late.short;
        bucket.set(model, (bucket.get(model) ?? 0) + 1);
      }
      const failed = world() >= quality[model as keyof typeof quality];
      await selector.observe(outcome(context, model, selection.memo, failed));
    }
    expect(late.short.get('small') ?? 0).toBeGreaterThan(500 * 0.85);
    expect(late.long.get('large') ?? 0).toBeGreaterThan(500 * 0.85);
  });

  it('trades success for cost with cost_reward_alpha', async () => {
    const models = new Map<string, CompiledModel>(
      [
        ['small', 0.1],
        ['medium', 1],
        ['large', 10],
      ].map(([name, price]) => [
        name as string,
        {
          name: name as string,
          pricing: {
            promptPer1m: price as number,
            completionPer1m: price as number,
            currency: undefined,
            cachedInputPer1m: undefined,
          },
        } as unknown as CompiledModel,
      ]),
    );
    const store = new MemoryStore();
    const selector = rl({ cost_reward_alpha: 0.5 });
    // Nearly equal success: the cheap model's cost reward decides.
    const late = await runBandit(selector, { small: 0.85, medium: 0.88, large: 0.9 }, 2000, (round) =>
      selectionContext({ store, seed: round + 1, decision: 'd', models }),
    );
    expect(late.get('small') ?? 0).toBeGreaterThan(500 * 0.85);
  });

  it('learns from explicit feedback at full weight', async () => {
    const store = new MemoryStore();
    const selector = rl({ exploration_rate: 0, min_exploration: 0 });
    const context = selectionContext({ store, decision: 'd' });
    const first = await selector.select(CANDIDATES, context);
    expect(first.candidate.model).toBe('small');
    await selector.feedback({ decision: 'd', model: 'small', memo: first.memo, score: 0, store });
    const second = await selector.select(CANDIDATES, context);
    expect(second.candidate.model).not.toBe('small');
    expect(second.scores?.find((s) => s.model === 'small')?.score).toBeCloseTo(1 / 3);
  });

  it('rejects peer fields it cannot honour and inconsistent reward weights', () => {
    const llm = rlDrivenSelection.configSchema.safeParse({ enable_llm_routing: true });
    expect(llm.success).toBe(false);
    expect(JSON.stringify(llm.error?.issues)).toContain('enable_llm_routing is not supported');
    expect(rlDrivenSelection.configSchema.safeParse({ latency_weight: 0.2 }).success).toBe(false);
    expect(
      rlDrivenSelection.configSchema.safeParse({
        cost_reward_alpha: 0.7,
        latency_weight: 0.5,
        latency_target_ms: 100,
      }).success,
    ).toBe(false);
    expect(rlDrivenSelection.configSchema.safeParse({ enable_personalization: false }).success).toBe(true);
  });

  it('scores the reward of an outcome from success, cost and latency', async () => {
    const selector = rl({
      cost_reward_alpha: 0.2,
      max_cost: 0.01,
      latency_weight: 0.2,
      latency_target_ms: 500,
    });
    const context = selectionContext({ decision: 'd' });
    const { memo } = await selector.select(CANDIDATES, context);
    const base = outcome(context, 'small', memo, false);
    expect(selector.reward({ ...base, cost: 0, ttftMs: 250 })).toBeCloseTo(1);
    expect(selector.reward({ ...base, cost: 0.005, ttftMs: 1000 })).toBeCloseTo(0.6 + 0.1 + 0.1);
    expect(selector.reward({ ...base, failed: true, status: 502 })).toBe(0);
  });
});
