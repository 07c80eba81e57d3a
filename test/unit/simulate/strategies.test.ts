// Strategy specs: names from the registries, one pool strategy and one selection algorithm at most, and overrides
// that touch only what they name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import { compileFleet } from '../../../src/simulate/fleet.ts';
import { applyStrategy, defaultStrategies, parseStrategies } from '../../../src/simulate/strategies.ts';

const POLICY = `
version: v1
default_model: a
pools:
  - { name: p1, max_context_tokens: 8K }
  - { name: p2, max_context_tokens: 8K }
models:
  - { name: a, pools: [p1, p2] }
  - { name: b, pools: [p2] }
routing:
  decisions:
    - name: split
      priority: 1
      rules: { operator: AND, conditions: [] }
      modelRefs: [{ model: a }, { model: b }]
    - name: single
      priority: 0
      rules: { operator: AND, conditions: [] }
      modelRefs: [{ model: b }]
`;

let policy: Policy;
beforeAll(async () => {
  policy = await compilePolicyText(POLICY, 'split.yaml');
});
afterAll(() => policy.close());

const fleet = () =>
  compileFleet(
    {
      pools: {
        p1: { replicas: 2, max_concurrency: 8, prefill_tokens_per_s: 1, decode_tokens_per_s: 1 },
        p2: { replicas: 1, max_concurrency: 4, prefill_tokens_per_s: 1, decode_tokens_per_s: 1 },
      },
    },
    policy,
    'fleet.yaml',
  );

describe('strategy specs', () => {
  it('read pool strategies, selection algorithms, combinations and the policy as written', () => {
    expect(parseStrategies('ordered, select:weighted+least_loaded ,policy,weighted')).toEqual([
      { label: 'ordered', pool: 'ordered', algorithm: undefined },
      { label: 'select:weighted+least_loaded', pool: 'least_loaded', algorithm: 'weighted' },
      { label: 'policy', pool: undefined, algorithm: undefined },
      { label: 'weighted', pool: 'weighted', algorithm: undefined },
    ]);
    expect(parseStrategies('static')).toEqual([{ label: 'static', pool: undefined, algorithm: 'static' }]);
  });

  it('refuse unknown names, two of a kind and empty lists', () => {
    expect(() => parseStrategies('fastest')).toThrow(/unknown strategy 'fastest' \(known: policy, ordered/);
    expect(() => parseStrategies('ordered+cheapest')).toThrow(/names two pool strategies/);
    expect(() => parseStrategies('pool:static')).toThrow(/unknown strategy 'pool:static'/);
    expect(() => parseStrategies('model:static')).toThrow(/the prefix is pool: or select:/);
    expect(() => parseStrategies(' , ')).toThrow(/names no strategy/);
  });

  it('default to every registered pool strategy', () => {
    expect(defaultStrategies().map((s) => s.pool)).toEqual(
      expect.arrayContaining(['ordered', 'least_loaded', 'lowest_latency', 'cheapest']),
    );
  });

  it('replace the pool strategy of every model, everywhere the policy reaches it', () => {
    const [spec] = parseStrategies('least_loaded');
    const applied = applyStrategy(policy, spec as NonNullable<typeof spec>, fleet());
    expect(applied.models.map((m) => m.poolStrategy.name)).toEqual(['least_loaded', 'least_loaded']);
    expect(applied.modelsByName.get('a')?.poolStrategy.name).toBe('least_loaded');
    expect(applied.defaultModel.poolStrategy.name).toBe('least_loaded');
    // The policy itself is left as it was.
    expect(policy.models.map((m) => m.poolStrategy.name)).toEqual(['ordered', 'ordered']);
  });

  it('weigh load per unit of the fleet capacity under least_loaded', () => {
    const [spec] = parseStrategies('least_loaded');
    const applied = applyStrategy(policy, spec as NonNullable<typeof spec>, fleet());
    const view = (name: string, inFlight: number) => ({
      pool: { name, envoyCluster: name, maxContextTokens: 8192 },
      view: {
        name,
        inFlight,
        requests: 0,
        failures: 0,
        errorRate: 0,
        ewmaTtftMs: undefined,
        ewmaLatencyMs: undefined,
        breaker: 'closed' as const,
      },
    });
    const context = {
      requiredTokens: 1,
      promptTokens: 1,
      expectedCompletionTokens: 0,
      model: { name: 'a' },
      random: () => 0,
    };
    // p1 has 16 slots, p2 has 4: 6 in flight on p1 is a lighter load than 2 on p2.
    const chosen = applied.modelsByName
      .get('a')
      ?.poolStrategy.choose([view('p1', 6), view('p2', 2)], context);
    expect(chosen?.pool.name).toBe('p1');
  });

  it('replace the algorithm only of decisions that have a choice of models', () => {
    const [spec] = parseStrategies('select:weighted');
    const applied = applyStrategy(policy, spec as NonNullable<typeof spec>, fleet());
    expect(applied.decisions.map((d) => [d.name, d.selector.algorithm])).toEqual([
      ['split', 'weighted'],
      ['single', 'static'],
    ]);
  });
});
