import { afterAll, describe, expect, it } from 'vitest';
import { automixSelection, VERIFICATION_MIN_SAMPLES } from '../../../src/selection/algorithms/automix.ts';
import type {
  ModelCandidate,
  ModelSelector,
  Selection,
  SelectionOutcome,
} from '../../../src/selection/model-selector.ts';
import { MemoryStore } from '../../../src/state/shared-store.ts';
import { choose, closeLivePolicy, liveState, openBreaker, ref, requestOf } from './live-fixtures.ts';

afterAll(closeLivePolicy);

const clock = { now: 1_000_000 };
const definition = automixSelection(() => clock.now);
const create = (config: Record<string, unknown> = {}) =>
  definition.create(definition.configSchema.parse(config));
// Listed strongest first: the cost-aware ladder reorders them cheapest first.
const candidates = [ref('large'), ref('medium'), ref('small')];
const headers = { 'x-session-id': 'conv-1' };
const turn1 = requestOf({ messages: [{ role: 'user', content: 'Prove that 17 is prime' }] }, headers);
const turn2 = requestOf(
  {
    messages: [
      { role: 'user', content: 'Prove that 17 is prime' },
      { role: 'assistant', content: '...' },
      { role: 'user', content: 'Now 91' },
    ],
  },
  headers,
);

function outcomeOf(
  selection: Selection<ModelCandidate>,
  store: MemoryStore,
  status: number,
): SelectionOutcome {
  return {
    decision: 'test-decision',
    model: selection.candidate.model,
    requestId: undefined,
    memo: selection.memo,
    status,
    failed: status >= 500,
    store,
  };
}

async function route(selector: ModelSelector, store: MemoryStore, request = turn1) {
  const { context } = await liveState();
  return choose(selector, candidates, { ...context({ store }), request });
}

describe('automix', () => {
  it('starts a conversation on the cheapest candidate and stays there while answers pass', async () => {
    const store = new MemoryStore();
    const selector = create();
    const first = await route(selector, store);
    expect(first.candidate.model).toBe('small');
    expect(first.reason).toBe('starts on rung 1 of 3');
    expect(first.scores?.map((s) => [s.model, s.parts?.rung])).toEqual([
      ['large', 3],
      ['medium', 2],
      ['small', 1],
    ]);
    await selector.observe?.(outcomeOf(first, store, 200));
    const next = await route(selector, store, turn2);
    expect(next.candidate.model).toBe('small');
  });

  it('escalates one rung on the next turn after a flagged answer, up to max_escalations', async () => {
    const store = new MemoryStore();
    const selector = create({ max_escalations: 1 });
    const first = await route(selector, store);
    await selector.observe?.(outcomeOf(first, store, 503));
    const second = await route(selector, store, turn2);
    expect(second.candidate.model).toBe('medium');
    expect(second.reason).toBe('escalated to rung 2: previous answer flagged');
    await selector.observe?.(outcomeOf(second, store, 500));
    const third = await route(selector, store, turn2);
    expect(third.candidate.model).toBe('medium');
    expect(third.reason).toBe('previous answer flagged, no escalation left');
  });

  it('treats the same conversation sent again within the retry window as a retry, and escalates', async () => {
    const store = new MemoryStore();
    const selector = create({ retry_window_seconds: 60 });
    const first = await route(selector, store);
    await selector.observe?.(outcomeOf(first, store, 200));
    clock.now += 30_000;
    const retry = await route(selector, store);
    expect(retry.candidate.model).toBe('medium');
    expect(retry.reason).toBe('escalated to rung 2: client retry');
    clock.now += 120_000;
    const later = await route(selector, store);
    expect(later.candidate.model).toBe('medium');
    expect(later.reason).toBe('stays on rung 2');
  });

  it('skips a starting rung whose answers fail more than verification_threshold allows', async () => {
    const store = new MemoryStore();
    const selector = create({ verification_threshold: 0.8 });
    await store.incrementFields('automix-pass:test-decision:small', {
      total: VERIFICATION_MIN_SAMPLES,
      passed: 5,
    });
    const chosen = await route(selector, store);
    expect(chosen.candidate.model).toBe('medium');
    expect(chosen.scores?.find((s) => s.model === 'small')?.parts?.pass_share).toBe(0.5);
  });

  it('uses the decision order as the ladder without cost_aware_routing, and steps over an unavailable rung', async () => {
    const store = new MemoryStore();
    const { pools, context } = await liveState();
    openBreaker(pools, 'h100');
    const chosen = await choose(create({ cost_aware_routing: false }), candidates, {
      ...context({ store }),
      request: turn1,
    });
    expect(chosen.candidate.model).toBe('medium');
    expect(chosen.reason).toBe('starts on rung 1 of 3; rung 1 unavailable');
  });

  it('rejects what needs a second model call, with the reason', () => {
    const parsed = definition.configSchema.safeParse({
      enable_self_verification: true,
      verifier_server_url: 'http://v',
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.message).join('\n')).toMatch(/second model call/);
    expect(
      definition.configSchema.safeParse({
        verification_threshold: 0.78,
        max_escalations: 2,
        cost_aware_routing: true,
      }).success,
    ).toBe(true);
  });
});
