// Pool-choice strategies on crafted pool views, their config schemas, and the property every strategy keeps.
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { CompiledPool } from '../../../src/policy/policy.ts';
import type { PoolView } from '../../../src/pools/pool-state.ts';
import { estimatedPoolCosts } from '../../../src/pools/strategies/cheapest.ts';
import {
  createPoolStrategy,
  DEFAULT_POOL_STRATEGY,
  POOL_STRATEGIES,
  type PoolCandidateView,
  type PoolChoiceContext,
  type StrategyPool,
} from '../../../src/pools/strategies/index.ts';
import { poolLoad } from '../../../src/pools/strategies/least-loaded.ts';
import { seededRandom } from '../../../src/seeded-random.ts';

function candidate(
  name: string,
  view: Partial<PoolView> = {},
  pool: Partial<StrategyPool> = {},
): PoolCandidateView {
  return {
    pool: { name, envoyCluster: `${name}-cluster`, maxContextTokens: 32_768, ...pool },
    view: {
      name,
      inFlight: 0,
      requests: 10,
      failures: 0,
      errorRate: 0,
      ewmaTtftMs: undefined,
      ewmaLatencyMs: undefined,
      breaker: 'closed',
      ...view,
    },
  };
}

function context(random: () => number = () => 0.5): PoolChoiceContext {
  return {
    requiredTokens: 1200,
    promptTokens: 1000,
    expectedCompletionTokens: 200,
    model: { name: 'small-chat', pricing: { promptPer1m: 0.05, completionPer1m: 0.2 } },
    random,
  };
}

function choose(name: string, candidates: PoolCandidateView[], config: unknown = {}, ctx = context()) {
  return createPoolStrategy(name, config).choose(candidates, ctx)?.pool.name;
}

describe('POOL_STRATEGIES registry', () => {
  it('lists the five strategies by name, each creating a strategy of that name', () => {
    expect([...POOL_STRATEGIES.keys()]).toEqual([
      'ordered',
      'least_loaded',
      'lowest_latency',
      'cheapest',
      'weighted',
    ]);
    for (const [name, definition] of POOL_STRATEGIES) {
      expect(definition.name).toBe(name);
      expect(definition.create(definition.configSchema.parse({})).name).toBe(name);
    }
    expect(POOL_STRATEGIES.has(DEFAULT_POOL_STRATEGY)).toBe(true);
  });

  it('rejects an unknown strategy name, naming the known ones', () => {
    expect(() => createPoolStrategy('round_robin')).toThrow(
      /unknown pool strategy 'round_robin' \(known: ordered,/,
    );
  });

  it.each([
    ['ordered', { extra: 1 }],
    ['least_loaded', { capacity: { l4: 0 } }],
    ['least_loaded', { capacity: { l4: 8 }, typo: true }],
    ['lowest_latency', { metric: 'p99' }],
    ['lowest_latency', { unknown: 'ignore' }],
    ['cheapest', { default_latency_ms: -1 }],
    ['cheapest', { unknown_cost: 'first' }],
    ['weighted', { weights: { l4: -1 } }],
    ['weighted', { seed: 3 }],
  ])('%s rejects the config %j at load', (name, config) => {
    expect(() => createPoolStrategy(name, config)).toThrow();
  });

  it('fills documented defaults', () => {
    const parse = (name: string) => POOL_STRATEGIES.get(name)?.configSchema.parse({});
    expect(parse('ordered')).toEqual({});
    expect(parse('least_loaded')).toEqual({ capacity: {}, use_scraped: true });
    expect(parse('lowest_latency')).toEqual({ metric: 'ttft', unknown: 'explore' });
    expect(parse('cheapest')).toEqual({ unknown_cost: 'last' });
    expect(parse('weighted')).toEqual({ weights: {}, default_weight: 1 });
  });
});

describe('ordered', () => {
  it('takes the first candidate whatever the load', () => {
    expect(choose('ordered', [candidate('l4', { inFlight: 99 }), candidate('h100')])).toBe('l4');
  });
});

describe('least_loaded', () => {
  it('takes the pool with the fewest requests in flight; ties go to policy order', () => {
    expect(choose('least_loaded', [candidate('a', { inFlight: 3 }), candidate('b', { inFlight: 1 })])).toBe(
      'b',
    );
    expect(
      choose('least_loaded', [
        candidate('a', { inFlight: 2 }),
        candidate('b', { inFlight: 1 }),
        candidate('c', { inFlight: 1 }),
      ]),
    ).toBe('b');
  });

  it('reads the engine’s fresh queue, which sees other replicas’ requests', () => {
    const a = candidate('a', { inFlight: 1, scraped: { waiting: 6, running: 4, ageMs: 1000 } });
    const b = candidate('b', { inFlight: 2 });
    expect(poolLoad(a)).toBe(10);
    expect(choose('least_loaded', [a, b])).toBe('b');
    expect(choose('least_loaded', [a, b], { use_scraped: false })).toBe('a');
  });

  it('does not count this replica’s requests twice: the larger of in-flight and scraped counts', () => {
    const scrapedLow = candidate('a', { inFlight: 5, scraped: { running: 3, ageMs: 0 } });
    expect(poolLoad(scrapedLow)).toBe(5);
    const unscraped = candidate('b', { inFlight: 5 });
    expect(choose('least_loaded', [unscraped, scrapedLow])).toBe('b');
  });

  it('divides the load by the configured capacity of each pool', () => {
    const small = candidate('l4', { inFlight: 3 });
    const big = candidate('h100', { inFlight: 10 });
    expect(choose('least_loaded', [small, big])).toBe('l4');
    expect(choose('least_loaded', [small, big], { capacity: { l4: 4, h100: 32 } })).toBe('h100');
  });
});

describe('lowest_latency', () => {
  it('takes the pool with the lowest EWMA TTFT', () => {
    const pools = [
      candidate('a', { ewmaTtftMs: 300, ewmaLatencyMs: 1000 }),
      candidate('b', { ewmaTtftMs: 120, ewmaLatencyMs: 5000 }),
    ];
    expect(choose('lowest_latency', pools)).toBe('b');
    expect(choose('lowest_latency', pools, { metric: 'latency' })).toBe('a');
  });

  it('falls back to latency when some pool has no TTFT (only streamed responses give one)', () => {
    const pools = [
      candidate('a', { ewmaTtftMs: 100, ewmaLatencyMs: 3000 }),
      candidate('b', { ewmaLatencyMs: 2000 }),
    ];
    expect(choose('lowest_latency', pools)).toBe('b');
  });

  it('compares per pool when neither metric is shared by all', () => {
    const pools = [candidate('a', { ewmaTtftMs: 900 }), candidate('b', { ewmaLatencyMs: 400 })];
    expect(choose('lowest_latency', pools)).toBe('b');
  });

  it('explores a pool that never served a request and has none in flight', () => {
    const pools = [candidate('a', { ewmaTtftMs: 50 }), candidate('new', { requests: 0 })];
    expect(choose('lowest_latency', pools)).toBe('new');
  });

  it('does not stampede a new pool: while its first request runs it counts as average', () => {
    const exploring = candidate('new', { requests: 0, inFlight: 1 });
    expect(choose('lowest_latency', [candidate('a', { ewmaTtftMs: 50 }), exploring])).toBe('a');
    // As average (here 300, the only known figure) it ties with the slow pool, and policy order breaks the tie.
    const slow = candidate('slow', { ewmaTtftMs: 300 });
    expect(choose('lowest_latency', [exploring, slow])).toBe('new');
    expect(choose('lowest_latency', [slow, exploring])).toBe('slow');
  });

  it('with unknown: average, treats pools without data as average and never explores', () => {
    const pools = [candidate('a', { ewmaTtftMs: 50 }), candidate('new', { requests: 0 })];
    expect(choose('lowest_latency', pools, { unknown: 'average' })).toBe('a');
  });

  it('keeps policy order when no pool has data', () => {
    expect(choose('lowest_latency', [candidate('a'), candidate('b')])).toBe('a');
  });
});

describe('cheapest', () => {
  it('weighs the price of the pool’s time by how long the request holds it', () => {
    const l4 = candidate('l4', { ewmaLatencyMs: 8000 }, { costPerHour: 0.8 });
    const h100 = candidate('h100', { ewmaLatencyMs: 2000 }, { costPerHour: 4 });
    const fastH100 = candidate('h100', { ewmaLatencyMs: 1000 }, { costPerHour: 4 });
    // 0.8 × 8 s = 6.4 < 4 × 2 s = 8; but 4 × 1 s = 4 < 6.4.
    expect(choose('cheapest', [h100, l4])).toBe('l4');
    expect(choose('cheapest', [l4, fastH100])).toBe('h100');
    const costs = estimatedPoolCosts([l4, h100], { unknown_cost: 'last' });
    expect(costs.get(l4)).toBeCloseTo((0.8 * 8) / 3600, 12);
  });

  it('gives a pool without latency data the mean latency of the others, or the configured default', () => {
    const known = candidate('a', { ewmaLatencyMs: 1000 }, { costPerHour: 2 });
    const unknown = candidate('b', {}, { costPerHour: 1.5 });
    expect(choose('cheapest', [known, unknown])).toBe('b');
    expect(choose('cheapest', [known, unknown], { default_latency_ms: 5000 })).toBe('a');
  });

  it('compares cost_per_hour alone when no pool has latency data; ties go to policy order', () => {
    const pools = [
      candidate('a', {}, { costPerHour: 3 }),
      candidate('b', {}, { costPerHour: 1 }),
      candidate('c', {}, { costPerHour: 1 }),
    ];
    expect(choose('cheapest', pools)).toBe('b');
  });

  it('puts pools without cost_per_hour last unless configured free', () => {
    const unpriced = candidate('onprem');
    const priced = candidate('cloud', {}, { costPerHour: 2 });
    expect(choose('cheapest', [unpriced, priced])).toBe('cloud');
    expect(choose('cheapest', [priced, unpriced], { unknown_cost: 'free' })).toBe('onprem');
    expect(choose('cheapest', [unpriced, candidate('other')])).toBe('onprem');
  });

  it('treats cost_per_hour 0 as free whatever the latency', () => {
    const free = candidate('free', { ewmaLatencyMs: 60_000 }, { costPerHour: 0 });
    expect(choose('cheapest', [candidate('paid', { ewmaLatencyMs: 10 }, { costPerHour: 1 }), free])).toBe(
      'free',
    );
  });
});

describe('weighted', () => {
  it('splits traffic in proportion to the configured weights (seeded random)', () => {
    const strategy = createPoolStrategy('weighted', { weights: { l4: 3, h100: 1 } });
    const ctx = context(seededRandom(42));
    const pools = [candidate('l4'), candidate('h100')];
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const name = strategy.choose(pools, ctx)?.pool.name ?? 'none';
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    expect((counts.get('l4') ?? 0) / 4000).toBeGreaterThan(0.72);
    expect((counts.get('l4') ?? 0) / 4000).toBeLessThan(0.78);
    expect(counts.get('none')).toBeUndefined();
  });

  it('maps random points onto cumulative weights', () => {
    const pools = [candidate('a'), candidate('b'), candidate('c')];
    const config = { weights: { a: 1, b: 2, c: 1 } };
    expect(
      choose(
        'weighted',
        pools,
        config,
        context(() => 0),
      ),
    ).toBe('a');
    expect(
      choose(
        'weighted',
        pools,
        config,
        context(() => 0.24),
      ),
    ).toBe('a');
    expect(
      choose(
        'weighted',
        pools,
        config,
        context(() => 0.25),
      ),
    ).toBe('b');
    expect(
      choose(
        'weighted',
        pools,
        config,
        context(() => 0.74),
      ),
    ).toBe('b');
    expect(
      choose(
        'weighted',
        pools,
        config,
        context(() => 0.75),
      ),
    ).toBe('c');
    expect(
      choose(
        'weighted',
        pools,
        config,
        context(() => 1),
      ),
    ).toBe('c');
  });

  it('never picks a pool of weight 0, takes the pool’s own weight and then default_weight', () => {
    const pools = [candidate('drained'), candidate('own', {}, { weight: 0 }), candidate('rest')];
    for (const point of [0, 0.3, 0.6, 0.99]) {
      expect(
        choose(
          'weighted',
          pools,
          { weights: { drained: 0 } },
          context(() => point),
        ),
      ).toBe('rest');
    }
    expect(
      choose(
        'weighted',
        [candidate('a', {}, { weight: 5 }), candidate('b')],
        {},
        context(() => 0.8),
      ),
    ).toBe('a');
    expect(
      choose('weighted', [candidate('a'), candidate('b')], { default_weight: 0, weights: { b: 1 } }),
    ).toBe('b');
  });

  it('serves from the first candidate when every weight is 0', () => {
    expect(choose('weighted', [candidate('a'), candidate('b')], { default_weight: 0 })).toBe('a');
  });
});

describe('every strategy', () => {
  const CONFIGS: Record<string, unknown[]> = {
    ordered: [{}],
    least_loaded: [{}, { capacity: { p0: 2, p3: 0.5 } }, { use_scraped: false }],
    lowest_latency: [{}, { metric: 'latency' }, { unknown: 'average' }],
    cheapest: [{}, { unknown_cost: 'free' }, { default_latency_ms: 100 }],
    weighted: [{}, { weights: { p0: 0, p1: 5 } }, { default_weight: 0 }],
  };

  function randomCandidates(random: () => number): PoolCandidateView[] {
    const n = Math.floor(random() * 6);
    const maybe = <T>(value: T): T | undefined => (random() < 0.5 ? undefined : value);
    return Array.from({ length: n }, (_, i) => {
      const scraped = maybe({
        waiting: Math.floor(random() * 20),
        running: Math.floor(random() * 40),
        ageMs: 0,
      });
      return candidate(
        `p${i}`,
        {
          inFlight: Math.floor(random() * 10),
          requests: Math.floor(random() * 3),
          ewmaTtftMs: maybe(random() * 1000),
          ewmaLatencyMs: maybe(random() * 20_000),
          ...(scraped === undefined ? {} : { scraped }),
        },
        { costPerHour: maybe(Math.floor(random() * 4)), weight: maybe(Math.floor(random() * 3)) },
      );
    });
  }

  it('returns one of the candidates (the very object), or undefined exactly when there is none', () => {
    const random = seededRandom(7);
    for (let round = 0; round < 500; round++) {
      const candidates = randomCandidates(random);
      for (const [name, configs] of Object.entries(CONFIGS)) {
        for (const config of configs) {
          const chosen = createPoolStrategy(name, config).choose(candidates, context(random));
          if (candidates.length === 0) expect(chosen).toBeUndefined();
          else expect(candidates).toContain(chosen);
        }
      }
    }
  });

  it('accepts the compiled policy’s pools as they are (checked by the type check)', () => {
    expectTypeOf<CompiledPool>().toExtend<StrategyPool>();
  });

  it('keeps the candidate’s own type (the caller gets its CompiledPool back)', () => {
    const pools = [{ ...candidate('a'), extra: 1 }];
    const chosen = createPoolStrategy('ordered').choose(pools, context());
    expect(chosen?.extra).toBe(1);
  });
});
