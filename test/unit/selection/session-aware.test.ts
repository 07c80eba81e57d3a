import { afterAll, describe, expect, it } from 'vitest';
import type { SelectionOutcome } from '../../../src/selection/model-selector.ts';
import { selectionAlgorithms } from '../../../src/selection/model-selector.ts';
import { MemoryStore, type SharedStore } from '../../../src/state/shared-store.ts';
import { answers, choose, closeLivePolicy, liveState, openBreaker, ref, requestOf } from './live-fixtures.ts';

// The registry imports an algorithm's module when a policy names it; these tests use them directly.
await selectionAlgorithms.loadAll();

afterAll(closeLivePolicy);

const definition = selectionAlgorithms.get('session_aware');
function create(config: Record<string, unknown>) {
  if (!definition) throw new Error('session_aware is not registered');
  const parsed = definition.configSchema.safeParse(config);
  if (!parsed.success) throw new Error(parsed.error.message);
  return definition.create(parsed.data as never, undefined as never);
}

const candidates = [ref('small'), ref('medium'), ref('large')];
const turn = (messages: { role: string; content: string }[], headers: Record<string, string> = {}) =>
  requestOf({ messages }, headers);
const first = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Plan a trip to Kyoto' },
];
const second = [
  ...first,
  { role: 'assistant', content: 'Day 1: temples.' },
  { role: 'user', content: 'And day 2?' },
];

describe('session_aware', () => {
  it('keeps a conversation on the model its first turn got, keyed by the opening when there is no header', async () => {
    const { stats, context } = await liveState();
    const store = new MemoryStore();
    // The inner algorithm first picks `medium` (fastest); later figures would prefer `small`.
    answers(stats, 'small', 5, { ttftMs: 300 });
    answers(stats, 'medium', 5, { ttftMs: 100 });
    answers(stats, 'large', 5, { ttftMs: 200 });
    const selector = create({
      fallback_method: 'latency_aware',
      latency_aware: { ttft_percentile: 50, exploration_rate: 0 },
    });
    const opening = await choose(selector, candidates, { ...context({ store }), request: turn(first) });
    expect(opening.candidate.model).toBe('medium');
    expect(opening.reason).toMatch(/^new session: latency_aware/);
    answers(stats, 'small', 50, { ttftMs: 10 });
    const next = await choose(selector, candidates, { ...context({ store }), request: turn(second) });
    expect(next.candidate.model).toBe('medium');
    expect(next.reason).toBe('session affinity (turn 2)');
    // Another conversation is routed afresh.
    const other = await choose(selector, candidates, {
      ...context({ store }),
      request: turn([{ role: 'user', content: 'Something else' }]),
    });
    expect(other.candidate.model).toBe('small');
  });

  it('reads the session id from the configured header, shared by every replica using the same store', async () => {
    const { context } = await liveState();
    const store = new MemoryStore();
    const replicaA = create({ fallback_method: 'static', session_header: 'x-conversation' });
    const replicaB = create({
      fallback_method: 'weighted',
      weighted: { seed: 3 },
      session_header: 'x-conversation',
    });
    const a = await choose(replicaA, [ref('large'), ref('small')], {
      ...context({ store }),
      request: turn([{ role: 'user', content: 'one' }], { 'x-conversation': 'abc' }),
    });
    expect(a.candidate.model).toBe('large');
    for (let i = 0; i < 5; i++) {
      const b = await choose(replicaB, [ref('small'), ref('large')], {
        ...context({ store }),
        request: turn([{ role: 'user', content: `different text ${i}` }], { 'x-conversation': 'abc' }),
      });
      expect(b.candidate.model).toBe('large');
    }
  });

  it('leaves the sticky model when its pools are all unavailable or the conversation outgrew it, and says why', async () => {
    const { pools, context } = await liveState();
    const store = new MemoryStore();
    const selector = create({});
    const headers = { 'x-session-id': 's1' };
    const start = await choose(selector, candidates, {
      ...context({ store }),
      request: turn(first, headers),
    });
    expect(start.candidate.model).toBe('small');
    const long = [...second, { role: 'user', content: 'word '.repeat(40_000) }];
    const grown = await choose(selector, candidates, { ...context({ store }), request: turn(long, headers) });
    expect(grown.candidate.model).toBe('medium');
    expect(grown.reason).toMatch(/^left small: needs ~\d+ tokens > context window \d+: static/);
    openBreaker(pools, 'a100');
    const broken = await choose(selector, candidates, {
      ...context({ store }),
      request: turn(second, headers),
    });
    expect(broken.candidate.model).toBe('small');
    expect(broken.reason).toMatch(/^left medium: pool breaker open/);
  });

  it('forgets an idle conversation after idle_timeout_seconds (fake clock)', async () => {
    const { context } = await liveState();
    const clock = { now: 1_000 };
    const store = new MemoryStore({ now: () => clock.now });
    const selector = create({ fallback_method: 'static', idle_timeout_seconds: 60 });
    const headers = { 'x-session-id': 's2' };
    await choose(selector, [ref('large'), ref('small')], {
      ...context({ store }),
      request: turn(first, headers),
    });
    clock.now += 59_000;
    const kept = await choose(selector, [ref('small'), ref('large')], {
      ...context({ store }),
      request: turn(second, headers),
    });
    expect(kept.candidate.model).toBe('large');
    clock.now += 61_000;
    const fresh = await choose(selector, [ref('small'), ref('large')], {
      ...context({ store }),
      request: turn(second, headers),
    });
    expect(fresh.candidate.model).toBe('small');
    expect(fresh.reason).toMatch(/^new session/);
  });

  it('keeps serving through the fallback when the store fails', async () => {
    const { context } = await liveState();
    const broken: SharedStore = {
      kind: 'redis',
      healthy: false,
      get: () => Promise.reject(new Error('connection refused')),
      set: () => Promise.reject(new Error('connection refused')),
      incrementFields: () => Promise.reject(new Error('connection refused')),
      readFields: () => Promise.reject(new Error('connection refused')),
      close: async () => {},
    };
    const chosen = await choose(create({}), candidates, {
      ...context({ store: broken }),
      request: turn(first),
    });
    expect(chosen.candidate.model).toBe('small');
    expect(chosen.reason).toMatch(/^session store unavailable/);
  });

  it('passes outcomes to the inner algorithm only for requests it chose', async () => {
    const { context } = await liveState();
    const store = new MemoryStore();
    const selector = create({ fallback_method: 'automix' });
    const chosen = await choose(selector, candidates, { ...context({ store }), request: turn(first) });
    const outcome: SelectionOutcome = {
      decision: 'test-decision',
      model: chosen.candidate.model,
      requestId: 'r1',
      memo: chosen.memo,
      status: 200,
      failed: false,
      store,
    };
    await selector.observe?.(outcome);
    expect(await store.readFields(`automix-pass:test-decision:${chosen.candidate.model}`)).toEqual({
      total: 1,
      passed: 1,
    });
    const sticky = await choose(selector, candidates, { ...context({ store }), request: turn(second) });
    await selector.observe?.({ ...outcome, memo: sticky.memo });
    expect(await store.readFields(`automix-pass:test-decision:${chosen.candidate.model}`)).toEqual({
      total: 1,
      passed: 1,
    });
  });

  it('rejects a fallback it cannot build, its bad config, and the peer switch knobs, naming the field', () => {
    const errors = (config: Record<string, unknown>) => {
      const parsed = definition?.configSchema.safeParse(config);
      return parsed?.success
        ? []
        : (parsed?.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? []);
    };
    expect(errors({ fallback_method: 'gmtrouter' })).toEqual([
      "fallback_method: fallback_method 'gmtrouter' is not a supported selection algorithm",
    ]);
    expect(errors({ fallback_method: 'session_aware' })).toEqual([
      'fallback_method: session_aware cannot fall back to itself',
    ]);
    expect(errors({ fallback_method: 'latency_aware', latency_aware: { ttft_percentile: 500 } })[0]).toMatch(
      /^latency_aware\.ttft_percentile: /,
    );
    expect(errors({ stay_bias: 0.1 })[0]).toMatch(/^stay_bias: stay_bias is not supported/);
    expect(errors({ idle_timeout_seconds: 300, fallback_method: 'static' })).toEqual([]);
  });
});
