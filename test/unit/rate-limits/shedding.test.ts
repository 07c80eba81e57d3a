// Shedding: while the chosen pool is saturated, decisions below the priority floor get 503 with Retry-After and
// higher-priority ones still pass; pools without a capacity figure are never shed.
import { afterEach, describe, expect, it } from 'vitest';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import type { PoolLease } from '../../../src/pools/pool-state.ts';
import { StreamProcessor } from '../../../src/server/stream-processor.ts';
import { testTelemetry } from '../telemetry/telemetry-helpers.ts';
import { type Harness, harness, headerOf, isLimited, jsonOf, send } from './rate-limit-fixture.ts';

let h: Harness | undefined;
afterEach(() => h?.close());

/** `batch` (priority 10) and `urgent` (priority 100) both go to `big` on h100-pool; no decision → `small` on l4. */
function sheddingPolicy(shedding: string, extra = ''): string {
  return `version: v1
default_model: small
${extra}pools:
  - { name: l4-pool, max_context_tokens: 32K }
  - { name: h100-pool, max_context_tokens: 128K }
models:
  - { name: small, provider_model_id: Qwen/Qwen3-8B, pools: [l4-pool] }
  - { name: big, provider_model_id: Qwen/Qwen3-32B, pools: [h100-pool] }
routing:
  signals:
    keywords:
      - { name: batch_terms, operator: OR, keywords: [summarise] }
      - { name: urgent_terms, operator: OR, keywords: [outage] }
  decisions:
    - name: batch
      priority: 10
      rules: { type: keyword, name: batch_terms }
      modelRefs: [{ model: big }]
    - name: urgent
      priority: 100
      rules: { type: keyword, name: urgent_terms }
      modelRefs: [{ model: big }]
rate_limits:
  shedding:
${shedding}
`;
}

const BATCH = { text: 'please summarise this report' };
const URGENT = { text: 'we have an outage, help' };

/** Holds `count` requests in flight on `pool`, as the server does for requests sent upstream. */
function occupy(harnessed: Harness, pool: string, count: number): PoolLease[] {
  return Array.from({ length: count }, () => harnessed.router.pools.begin(pool));
}

/** Sends and ends the request at once, so it holds no slot on its pool afterwards. */
async function passes(harnessed: Harness, options: Parameters<typeof send>[1]): Promise<boolean> {
  const { stream, result } = await send(harnessed.router, options);
  stream.release();
  return result.kind === 'continue';
}

const isShed = (result: Awaited<ReturnType<typeof send>>['result']) =>
  result.kind === 'immediate' && result.status === 503;

describe('shedding on a saturated pool', () => {
  it('sheds low-priority decisions with 503 and Retry-After while higher ones pass, until the pool frees up', async () => {
    h = await harness(sheddingPolicy('    capacity: { h100-pool: 10 }\n    min_priority: 50'));
    const leases = occupy(h, 'h100-pool', 8);
    const admitted = await send(h.router, BATCH);
    expect(admitted.result.kind).toBe('continue');
    // The admitted request is in flight on the pool too: 9 of 10, the default saturation 0.9.
    const shed = (await send(h.router, BATCH)).result;
    expect(isShed(shed)).toBe(true);
    expect(headerOf(shed, 'retry-after')).toBe('1');
    expect(headerOf(shed, 'x-router-error-code')).toBe('pool_saturated');
    expect(jsonOf(shed)).toMatchObject({ error: { code: 'pool_saturated', type: 'server_error' } });
    expect(JSON.stringify(jsonOf(shed))).not.toContain('summarise');
    const urgent = await send(h.router, URGENT);
    expect(urgent.result.kind).toBe('continue');
    urgent.stream.release();
    leases.pop()?.end({ status: 200, failed: false });
    expect((await send(h.router, BATCH)).result.kind).toBe('continue');
  });

  it('counts the saturation from the saturation share, and never sheds a pool without a capacity figure', async () => {
    h = await harness(
      sheddingPolicy('    capacity: { h100-pool: 10 }\n    saturation: 0.5\n    min_priority: 50'),
    );
    occupy(h, 'l4-pool', 1000);
    // No decision matches: the default model on l4-pool, which has no capacity figure.
    expect((await send(h.router, { text: 'hello' })).result.kind).toBe('continue');
    occupy(h, 'h100-pool', 4);
    expect(await passes(h, BATCH)).toBe(true);
    occupy(h, 'h100-pool', 1);
    expect(isShed((await send(h.router, BATCH)).result)).toBe(true);
  });

  it("reads the engine's scraped queue, which sees the other replicas' requests, unless use_scraped is false", async () => {
    h = await harness(sheddingPolicy('    capacity: { h100-pool: 10 }\n    min_priority: 50'));
    h.router.pools.setScraped('h100-pool', { waiting: 4, running: 6 }, h.router.pools.now());
    expect(isShed((await send(h.router, BATCH)).result)).toBe(true);
    h.close();
    h = await harness(
      sheddingPolicy('    capacity: { h100-pool: 10 }\n    min_priority: 50\n    use_scraped: false'),
    );
    h.router.pools.setScraped('h100-pool', { waiting: 4, running: 6 }, h.router.pools.now());
    expect((await send(h.router, BATCH)).result.kind).toBe('continue');
  });

  it("takes the least_loaded strategy's capacity when shedding gives none", async () => {
    h = await harness(
      sheddingPolicy(
        '    min_priority: 50',
        'pool_selection: { strategy: least_loaded, least_loaded: { capacity: { h100-pool: 4 } } }\n',
      ),
    );
    occupy(h, 'h100-pool', 3);
    expect(await passes(h, BATCH)).toBe(true);
    occupy(h, 'h100-pool', 1);
    expect(isShed((await send(h.router, BATCH)).result)).toBe(true);
    expect((await send(h.router, URGENT)).result.kind).toBe('continue');
  });

  it('gives back what the unscoped limits charged a shed request', async () => {
    const text = sheddingPolicy('    capacity: { h100-pool: 2 }\n    min_priority: 50').replace(
      'rate_limits:\n',
      'rate_limits:\n  limits:\n    - { name: per-tenant, key: tenant, requests_per_window: 1, window_seconds: 60 }\n',
    );
    h = await harness(text);
    const leases = occupy(h, 'h100-pool', 2);
    const headers = { 'x-tenant-id': 'acme' };
    expect(isShed((await send(h.router, { ...BATCH, headers })).result)).toBe(true);
    for (const lease of leases) lease.cancel();
    expect((await send(h.router, { ...BATCH, headers })).result.kind).toBe('continue');
    expect(isLimited((await send(h.router, { ...BATCH, headers })).result)).toBe(true);
  });

  it("reads the priority of the routing profile's own decision when names repeat across profiles", async () => {
    const recipe = `entrypoints: [{ model_names: [acme/ops], recipe: ops }]
recipes:
  - name: ops
    routing:
      signals:
        keywords:
          - { name: batch_terms, operator: OR, keywords: [summarise] }
      decisions:
        - name: batch
          priority: 100
          rules: { type: keyword, name: batch_terms }
          modelRefs: [{ model: big }]
`;
    h = await harness(sheddingPolicy('    capacity: { h100-pool: 1 }\n    min_priority: 50', recipe));
    occupy(h, 'h100-pool', 1);
    expect(isShed((await send(h.router, BATCH)).result)).toBe(true);
    expect((await send(h.router, { ...BATCH, model: 'acme/ops' })).result.kind).toBe('continue');
  });

  it('answers Anthropic clients with overloaded_error', async () => {
    h = await harness(sheddingPolicy('    capacity: { h100-pool: 1 }\n    min_priority: 50'));
    occupy(h, 'h100-pool', 1);
    const shed = (await send(h.router, { ...BATCH, path: '/v1/messages' })).result;
    expect(isShed(shed)).toBe(true);
    expect(jsonOf(shed)).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
  });

  it('counts shed requests in router_rate_limited_total{reason="shed"} by pool', async () => {
    h = await harness(sheddingPolicy('    capacity: { h100-pool: 1 }\n    min_priority: 50'));
    occupy(h, 'h100-pool', 1);
    const { telemetry, prometheusText } = testTelemetry();
    for (const text of [BATCH.text, BATCH.text, URGENT.text]) {
      const stream = new StreamProcessor(h.router, {
        maxBodyBytes: 1 << 20,
        failOpen: false,
        onUnexpectedError: () => {},
        telemetry: telemetry.startStream(),
      });
      stream.onRequestHeaders(
        new Map([
          [':method', 'POST'],
          [':path', '/v1/chat/completions'],
        ]),
        false,
      );
      await stream.onRequestBody(
        Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: text }] })),
        true,
      );
      stream.release();
    }
    const metrics = await prometheusText();
    expect(metrics).toContain('router_rate_limited_total{limit="h100-pool",reason="shed"} 2');
    expect(metrics).toContain('router_errors_total{reason="pool_saturated"} 2');
  });
});

describe('shedding at policy load', () => {
  const load = (shedding: string, extra = '') =>
    compilePolicyText(sheddingPolicy(shedding, extra), 'shedding.yaml');

  it('warns that shedding is off for a named pool without a capacity figure', async () => {
    const policy = await load(
      '    pools: [h100-pool, l4-pool]\n    capacity: { h100-pool: 8 }\n    min_priority: 1',
    );
    const messages = policy.warnings.map((w) => w.message);
    expect(messages).toContain("shedding is off for pool 'l4-pool': it has no capacity figure");
    expect(messages.some((m) => m.includes("'h100-pool'"))).toBe(false);
    policy.close();
  });

  it('warns when no pool has a capacity figure at all', async () => {
    const policy = await load('    min_priority: 1');
    expect(policy.warnings.map((w) => w.message)).toContain(
      'shedding protects no pool: no pool has a capacity figure',
    );
    policy.close();
  });

  it('warns that counters: shared with the in-memory state store are local to this replica', async () => {
    const text = sheddingPolicy('    capacity: { h100-pool: 8 }\n    min_priority: 1').replace(
      'rate_limits:\n',
      'rate_limits:\n  counters: shared\n',
    );
    const policy = await compilePolicyText(text, 'shared.yaml');
    expect(policy.warnings.map((w) => w.message).join('\n')).toContain(
      'the counters are local to this replica',
    );
    policy.close();
  });

  it.each([
    ['    pools: [a100-pool]\n    min_priority: 1', "shedding names pool 'a100-pool'"],
    ['    capacity: { a100-pool: 4 }\n    min_priority: 1', "capacity for pool 'a100-pool'"],
    ['    capacity: { h100-pool: 4 }', 'min_priority'],
    ['    capacity: { h100-pool: 4 }\n    min_priority: 1\n    saturation: 1.5', 'saturation'],
  ])('refuses %s', async (shedding, message) => {
    await expect(load(shedding)).rejects.toThrow(message);
  });
});
