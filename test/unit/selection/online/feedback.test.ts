// Explicit feedback: a score in [0, 1] naming an earlier request's id reaches that request's learning algorithm
// once; a bad score, a malformed or unknown id, a second rating, or a decision that no longer learns changes nothing
// and says why. Policies with the online algorithms load, and bad settings fail with their YAML path.
import { describe, expect, it } from 'vitest';
import { PolicyError, type PolicyIssue } from '../../../../src/errors.ts';
import { compilePolicyText } from '../../../../src/policy/load-policy.ts';
import type { ModelSelector, SelectionFeedback } from '../../../../src/selection/model-selector.ts';
import { type EloConfig, type EloSelector, eloSelection } from '../../../../src/selection/online/elo.ts';
import {
  applyFeedback,
  handleFeedback,
  parseScore,
  rememberRoute,
} from '../../../../src/selection/online/feedback.ts';
import { MemoryStore } from '../../../../src/state/shared-store.ts';

function learner(algorithm = 'rl_driven') {
  const received: SelectionFeedback[] = [];
  const selector: ModelSelector = {
    algorithm,
    select: (candidates) => ({ candidate: candidates[0] as never }),
    feedback: async (feedback) => {
      received.push(feedback);
    },
  };
  return { selector, received };
}

async function setup() {
  const store = new MemoryStore();
  const { selector, received } = learner();
  const target = {
    store,
    decisionOf: (name: string) => (name === 'chat' ? { selector, models: ['small', 'big'] } : undefined),
    recordTtlMs: 60_000,
  };
  await rememberRoute(
    store,
    'req-1',
    { algorithm: 'rl_driven', decision: 'chat', model: 'big', memo: { x: 1 } },
    60_000,
  );
  return { store, target, received };
}

describe('parseScore', () => {
  it('accepts numbers and numeric strings in [0, 1] only', () => {
    expect(parseScore(0)).toBe(0);
    expect(parseScore('0.75')).toBe(0.75);
    expect(parseScore(1)).toBe(1);
    for (const bad of [-0.1, 1.5, '', ' ', 'good', Number.NaN, null, undefined, {}])
      expect(parseScore(bad)).toBeUndefined();
  });
});

describe('applyFeedback', () => {
  it('hands the score, model and memo of the named request to its decision’s algorithm', async () => {
    const { target, received, store } = await setup();
    expect(await applyFeedback(target, 'req-1', '0.25')).toEqual({
      ok: true,
      decision: 'chat',
      model: 'big',
    });
    expect(received).toEqual([{ decision: 'chat', model: 'big', memo: { x: 1 }, score: 0.25, store }]);
  });

  it('takes a request’s rating once', async () => {
    const { target, received } = await setup();
    await applyFeedback(target, 'req-1', 1);
    expect(await applyFeedback(target, 'req-1', 0)).toMatchObject({
      ok: false,
      status: 409,
      code: 'already_rated',
    });
    expect(received).toHaveLength(1);
  });

  it('refuses bad scores, malformed and unknown ids without touching the learner', async () => {
    const { target, received } = await setup();
    expect(await applyFeedback(target, 'req-1', 2)).toMatchObject({ status: 400, code: 'invalid_score' });
    expect(await applyFeedback(target, 'has space', 1)).toMatchObject({
      status: 400,
      code: 'invalid_request_id',
    });
    expect(await applyFeedback(target, 'x'.repeat(201), 1)).toMatchObject({ code: 'invalid_request_id' });
    expect(await applyFeedback(target, 'req-2', 1)).toMatchObject({ status: 404, code: 'unknown_request' });
    expect(received).toEqual([]);
    // Still rateable afterwards.
    expect(await applyFeedback(target, 'req-1', 1)).toMatchObject({ ok: true });
  });

  it('refuses feedback once the decision no longer uses the algorithm that routed the request', async () => {
    const store = new MemoryStore();
    const { selector, received } = learner('elo');
    await rememberRoute(
      store,
      'r',
      { algorithm: 'rl_driven', decision: 'chat', model: 'm', memo: null },
      60_000,
    );
    const result = await applyFeedback(
      { store, decisionOf: () => ({ selector, models: ['m'] }), recordTtlMs: 1000 },
      'r',
      1,
    );
    expect(result).toMatchObject({ status: 409, code: 'not_learning' });
    expect(received).toEqual([]);
  });

  it('forgets a request after the record’s ttl', async () => {
    let now = 0;
    const store = new MemoryStore({ now: () => now });
    const { selector } = learner();
    await rememberRoute(
      store,
      'r',
      { algorithm: 'rl_driven', decision: 'chat', model: 'm', memo: null },
      1000,
    );
    now = 1001;
    const result = await applyFeedback(
      { store, decisionOf: () => ({ selector, models: ['m'] }), recordTtlMs: 1000 },
      'r',
      1,
    );
    expect(result).toMatchObject({ code: 'unknown_request' });
  });
});

describe('preferences between two models (the peer’s winner/loser feedback)', () => {
  it('reach a decision whose algorithm learns from them, and moves its ratings', async () => {
    const store = new MemoryStore();
    const selector = eloSelection.create(
      eloSelection.configSchema.parse({}) as EloConfig,
    ) as unknown as EloSelector;
    const target = {
      store,
      decisionOf: (name: string) => (name === 'chat' ? { selector, models: ['small', 'big'] } : undefined),
      recordTtlMs: 1000,
    };
    const input = { decision: 'chat', winner_model: 'big', loser_model: 'small' };
    expect(await handleFeedback(target, input)).toEqual({ ok: true, decision: 'chat', model: 'big' });
    const ratings = await selector.ratings(store, 'chat', ['big', 'small']);
    expect(ratings.get('big')?.rating).toBeGreaterThan(ratings.get('small')?.rating as number);
  });

  it('refuse unknown decisions, models outside the decision, the same model twice, and non-learning decisions', async () => {
    const store = new MemoryStore();
    const { selector } = learner();
    const target = {
      store,
      decisionOf: (name: string) => (name === 'chat' ? { selector, models: ['small', 'big'] } : undefined),
      recordTtlMs: 1000,
    };
    expect(
      await handleFeedback(target, { decision: 'nope', winner_model: 'big', loser_model: 'small' }),
    ).toMatchObject({ status: 404, code: 'unknown_decision' });
    // The fake learner takes ratings but not preferences.
    expect(
      await handleFeedback(target, { decision: 'chat', winner_model: 'big', loser_model: 'small' }),
    ).toMatchObject({ status: 409, code: 'not_learning' });
    const elo = eloSelection.create(eloSelection.configSchema.parse({}) as EloConfig);
    const eloTarget = { ...target, decisionOf: () => ({ selector: elo, models: ['small', 'big'] }) };
    for (const bad of [
      { winner_model: 'big', loser_model: 'big' },
      { winner_model: 'big', loser_model: 'other' },
      { winner_model: 'big', loser_model: 'small', tie: 'yes' },
    ])
      expect(await handleFeedback(eloTarget, { decision: 'chat', ...bad })).toMatchObject({
        status: 400,
        code: 'invalid_models',
      });
    expect(await store.readFields('elo:chat')).toEqual({});
  });
});

const POLICY = (algorithm: string, stateStore = '') => `version: v1
default_model: small
pools:
  - { name: l4-pool, max_context_tokens: 32K }
models:
  - { name: small, pools: [l4-pool] }
  - { name: big, pools: [l4-pool] }
${stateStore}
routing:
  decisions:
    - name: chat
      priority: 1
      modelRefs: [{ model: small }, { model: big }]
      algorithm: ${algorithm}
`;

async function issuesOf(yaml: string): Promise<PolicyIssue[]> {
  try {
    const policy = await compilePolicyText(yaml, 'team.yaml');
    policy.close();
    return [...policy.warnings];
  } catch (error) {
    if (error instanceof PolicyError) return [...error.issues];
    throw error;
  }
}

describe('policies with online learners and a state store', () => {
  it('load with the peer’s field names', async () => {
    expect(
      await issuesOf(
        POLICY('{ type: elo, elo: { k_factor: 16, initial_rating: 1000, category_weighted: false } }'),
      ),
    ).toEqual([]);
    expect(
      await issuesOf(
        POLICY(
          '{ type: rl_driven, rl_driven: { exploration_rate: 0.2, min_exploration: 0.02, context: { prompt_length_buckets: [2000] } } }',
          'state_store: { backend: redis, timeout_ms: 30, redis: { address: "redis:6379", key_prefix: "team-a:" } }',
        ),
      ),
    ).toEqual([]);
  });

  it('report a peer field the learner cannot honour at its path', async () => {
    const issues = await issuesOf(POLICY('{ type: rl_driven, rl_driven: { enable_llm_routing: true } }'));
    expect(issues).toContainEqual(
      expect.objectContaining({
        path: 'routing.decisions[0].algorithm.rl_driven.enable_llm_routing',
        message: expect.stringContaining('not supported'),
      }),
    );
  });

  it('report state_store problems at their path', async () => {
    const missing = await issuesOf(POLICY('{ type: elo }', 'state_store: { backend: redis }'));
    expect(missing).toContainEqual(expect.objectContaining({ path: 'state_store.redis' }));
    const env = await issuesOf(
      POLICY(
        '{ type: elo }',
        'state_store: { backend: redis, redis: { address: "r:6379", password_env: NO_SUCH_VAR_X } }',
      ),
    );
    expect(env).toContainEqual(
      expect.objectContaining({
        path: 'state_store.redis.password_env',
        message: expect.stringContaining('NO_SUCH_VAR_X'),
      }),
    );
  });
});
