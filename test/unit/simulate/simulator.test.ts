// The simulator drives the real router: strategies differ the way their names promise, the pools' refusals feed the
// breaker, answers feed the selection algorithm, and the same seed gives the same figures.
import { afterEach, describe, expect, it } from 'vitest';
import { loadPolicyFile } from '../../../src/policy/load-policy.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import type { ModelSelector, SelectionOutcome } from '../../../src/selection/model-selector.ts';
import { compileFleet, type Fleet, loadFleet } from '../../../src/simulate/fleet.ts';
import { type SimulationResult, simulate } from '../../../src/simulate/simulator.ts';
import { applyStrategy, parseStrategies } from '../../../src/simulate/strategies.ts';
import { readTrace, type TraceRequest } from '../../../src/simulate/trace.ts';
import { TRACE_DIR } from '../../helpers/simulate-traces.ts';

const POLICY = 'test/fixtures/simulate/two-pools.yaml';
const FLEET = 'test/fixtures/simulate/two-pools.fleet.yaml';
const GENERAL = ['Suggest a name for a small bakery by the harbour.'];

const opened: Policy[] = [];
afterEach(() => {
  for (const policy of opened.splice(0)) policy.close();
});

async function setup(): Promise<{ policy: Policy; fleet: Fleet }> {
  const policy = await loadPolicyFile(POLICY);
  opened.push(policy);
  return { policy, fleet: await loadFleet(FLEET, policy) };
}

async function run(
  strategy: string,
  trace: readonly TraceRequest[],
  options: { seed?: number; fleet?: (fleet: Fleet) => Fleet; prompts?: readonly string[] } = {},
): Promise<SimulationResult> {
  const { policy, fleet } = await setup();
  const used = options.fleet ? options.fleet(fleet) : fleet;
  const [spec] = parseStrategies(strategy);
  if (!spec) throw new Error('no strategy');
  return simulate({
    label: spec.label,
    policy: applyStrategy(policy, spec, used),
    fleet: used,
    trace,
    seed: options.seed ?? 1,
    prompts: options.prompts ?? GENERAL,
  });
}

/** `count` requests `gapMs` apart, each with the given tokens. */
function burst(count: number, gapMs: number, inputTokens = 1000, outputTokens = 40): TraceRequest[] {
  return Array.from({ length: count }, (_, i) => ({
    arrivalMs: i * gapMs,
    inputTokens,
    outputTokens,
    blocks: [],
  }));
}

const requestsOn = (result: SimulationResult, pool: string) =>
  result.pools.find((p) => p.pool === pool)?.requests;

describe('simulate', () => {
  it('keeps ordered traffic on the first pool and spreads it with least_loaded', async () => {
    const trace = burst(12, 10);
    const ordered = await run('ordered', trace);
    expect(requestsOn(ordered, 'cheap-pool')).toBe(12);
    expect(requestsOn(ordered, 'fast-pool')).toBe(0);
    // Two running and eight waiting on the single cheap replica: the last two are refused.
    expect(ordered.rejected).toEqual({ queue_full: 2 });
    expect(ordered.completed).toBe(10);

    const spread = await run('least_loaded', trace);
    expect(requestsOn(spread, 'cheap-pool')).toBeGreaterThan(0);
    expect(requestsOn(spread, 'fast-pool')).toBeGreaterThan(requestsOn(spread, 'cheap-pool') ?? 0);
    expect(spread.rejectedTotal).toBe(0);
    expect(spread.completed).toBe(12);
    expect(spread.ttftMs.p99).toBeLessThan(ordered.ttftMs.p99);
  });

  it('moves traffic off a pool once its refusals open the breaker', async () => {
    const result = await run('ordered', burst(20, 1));
    // Ten fit on the cheap pool; three refusals in a row open its breaker; the other seven go to the fast pool.
    expect(result.rejected).toEqual({ queue_full: 3 });
    expect(requestsOn(result, 'cheap-pool')).toBe(13);
    expect(requestsOn(result, 'fast-pool')).toBe(7);
    expect(result.completed).toBe(17);
  });

  it('counts a request no pool can hold as rejected', async () => {
    const trace = [...burst(1, 0), { arrivalMs: 5, inputTokens: 40_000, outputTokens: 10, blocks: [] }];
    const result = await run('ordered', trace);
    expect(result.rejected).toEqual({ no_fitting_pool: 1 });
    expect(result.completed).toBe(1);
  });

  it('sends requests to the faster pool with lowest_latency once it has measured both', async () => {
    const result = await run('lowest_latency', burst(20, 3000, 500, 20));
    expect(requestsOn(result, 'fast-pool')).toBeGreaterThanOrEqual(18);
    expect(requestsOn(result, 'cheap-pool')).toBeGreaterThanOrEqual(1);
  });

  it('routes by the question: code goes to the coder on the fast pool', async () => {
    const result = await run('ordered', burst(3, 100), {
      prompts: ['Write a python script that renames files.'],
    });
    expect(result.models).toEqual({ coder: 3 });
    expect(requestsOn(result, 'fast-pool')).toBe(3);
  });

  it('reuses cached prefixes of a conversation, and not without a cache', async () => {
    const trace = await readTrace(`${TRACE_DIR}/mooncake-tiny.jsonl`);
    const cached = await run('ordered', trace);
    expect(cached.prefixHitShare).toBeGreaterThan(0.2);
    const uncached = await run('ordered', trace, {
      fleet: (fleet) => ({
        ...fleet,
        pools: new Map([...fleet.pools].map(([name, pool]) => [name, { ...pool, kvCacheBlocks: 0 }])),
      }),
    });
    expect(uncached.prefixHitShare).toBe(0);
    expect(cached.ttftMs.p50).toBeLessThan(uncached.ttftMs.p50);
  });

  it('gives the same figures for the same seed', async () => {
    const trace = await readTrace(`${TRACE_DIR}/mooncake-tiny.jsonl`);
    const prompts = ['Write a python script.', 'Suggest a name for a bakery.'];
    const first = await run('weighted', trace, { prompts });
    const again = await run('weighted', trace, { prompts });
    expect(again).toEqual(first);
    expect(first.completed).toBe(8);
  });

  it('tells the selection algorithm how each answer went', async () => {
    const { policy, fleet } = await setup();
    const outcomes: SelectionOutcome[] = [];
    const recorder: ModelSelector = {
      algorithm: 'recorder',
      select: (candidates) => ({ candidate: candidates[0] as (typeof candidates)[number], memo: 'seen' }),
      observe: (outcome) => {
        outcomes.push(outcome);
      },
    };
    const decisions = policy.decisions.map((decision) => ({ ...decision, selector: recorder }));
    await simulate({
      label: 'recorder',
      policy: { ...policy, decisions },
      fleet,
      trace: burst(3, 500, 800, 10),
      seed: 1,
      prompts: GENERAL,
    });
    expect(outcomes.map((o) => [o.requestId, o.model, o.status, o.memo, o.failed])).toEqual([
      ['sim-0', 'chat', 200, 'seen', false],
      ['sim-1', 'chat', 200, 'seen', false],
      ['sim-2', 'chat', 200, 'seen', false],
    ]);
    // 800 prompt tokens at 2000/s, then 10 tokens at 20/s: 0.4 s + 0.05 s to the first token, 0.9 s in all.
    expect(outcomes[0]?.ttftMs).toBeCloseTo(450, 6);
    expect(outcomes[0]?.latencyMs).toBeCloseTo(900, 6);
    expect(outcomes[0]?.cost).toBeCloseTo((800 * 0.1 + 10 * 0.4) / 1e6, 12);
  });

  it('prices the GPU time the requests used', async () => {
    const fleetWith = (fleet: Fleet) =>
      compileFleet(
        {
          pools: {
            'cheap-pool': {
              replicas: 1,
              max_concurrency: 2,
              prefill_tokens_per_s: 1000,
              decode_tokens_per_s: 10,
            },
            'fast-pool': {
              replicas: 1,
              max_concurrency: 2,
              prefill_tokens_per_s: 1000,
              decode_tokens_per_s: 10,
            },
          },
        },
        opened[opened.length - 1] as Policy,
        fleet.file,
      );
    // One request: 1 s of prefill, 10 tokens at 0.1 s: 2 s in one of the replica's two slots on a $1/h GPU.
    const result = await run('ordered', burst(1, 0, 1000, 10), { fleet: fleetWith });
    const cheap = result.pools.find((p) => p.pool === 'cheap-pool');
    expect(cheap?.usedGpuHours).toBeCloseTo(1 / 3600, 9);
    expect(cheap?.cost).toBeCloseTo(1 / 3600, 9);
    expect(cheap?.busyGpuHours).toBeCloseTo(2 / 3600, 9);
    expect(result.spanS).toBeCloseTo(2, 9);
  });
});
