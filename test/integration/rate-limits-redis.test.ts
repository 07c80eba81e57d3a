// Two routers (each with its own Redis client and local counters, as two replicas) share one set of rate limits
// through a real redis-server: exact under 64 concurrent requests across both, token charges corrected by one and
// seen by the other, slots freed across replicas; and with Redis stopped, requests are still served (local counts).
import { afterEach, describe, expect, it } from 'vitest';
import { createRequestRouter, defaultRouterDeps, type RequestRouter } from '../../src/pipeline.ts';
import { compilePolicyText } from '../../src/policy/load-policy.ts';
import type { Policy } from '../../src/policy/policy.ts';
import { compileStateStore, stateStoreSchema } from '../../src/state/state-config.ts';
import { StoreHolder } from '../../src/state/store-holder.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { RedisServer, redisSkipReason } from '../helpers/redis-server.ts';
import { answer, isLimited, jsonOf, rateLimitPolicy, send } from '../unit/rate-limits/rate-limit-fixture.ts';

if (redisSkipReason) console.warn(`test/integration/rate-limits-redis.test.ts skipped: ${redisSkipReason}`);

const TENANT = { 'x-tenant-id': 'acme' };
let server: RedisServer | undefined;
const holders: StoreHolder[] = [];
const policies: Policy[] = [];

afterEach(async () => {
  await Promise.all(holders.splice(0).map((h) => h.close()));
  for (const p of policies.splice(0)) p.close();
  await server?.stop();
  server = undefined;
});

async function until(what: string, probe: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !probe(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  if (!probe()) throw new Error(`timed out waiting for ${what}`);
}

/** Two replicas of one policy with `counters: shared`, each with its own connection to `server`. */
async function replicas(limits: string): Promise<{ routers: RequestRouter[]; stores: StoreHolder[] }> {
  server = await RedisServer.start();
  const policy = await compilePolicyText(rateLimitPolicy(limits, '  counters: shared\n'), 'shared.yaml');
  policies.push(policy);
  const settings = compileStateStore(
    stateStoreSchema.parse({
      backend: 'redis',
      timeout_ms: 500,
      redis: { address: server.address, key_prefix: `rl-${Date.now()}:` },
    }),
  ).settings;
  const stores = [0, 1].map(() => {
    const holder = new StoreHolder({ logger: silentLogger });
    holders.push(holder);
    holder.apply(settings);
    return holder;
  });
  for (const store of stores) await until('redis connected', () => store.healthy);
  const routers = stores.map((store) => createRequestRouter(policy, { ...defaultRouterDeps(), store }));
  return { routers, stores };
}

/** The RESP client answers in order: once a later command is answered, an earlier fire-and-forget one is done. */
const flushed = (store: StoreHolder) => store.get('flush');

describe.skipIf(redisSkipReason !== undefined)('rate limits shared through redis', () => {
  it('admits exactly the limit of 64 concurrent requests spread over two replicas', async () => {
    const { routers } = await replicas(
      '    - { name: per-tenant, key: tenant, requests_per_window: 10, window_seconds: 60 }',
    );
    const results = await Promise.all(
      Array.from({ length: 64 }, (_, i) => send(routers[i % 2] as RequestRouter, { headers: TENANT })),
    );
    expect(results.filter((r) => r.result.kind === 'continue')).toHaveLength(10);
    const refused = results.find((r) => isLimited(r.result));
    expect(refused && jsonOf(refused.result)).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
  });

  it("charges one replica's answer usage against the other's requests", async () => {
    const { routers, stores } = await replicas(
      '    - { name: tenant-tokens, key: tenant, tokens_per_window: 100, window_seconds: 60 }',
    );
    const [a, b] = routers as [RequestRouter, RequestRouter];
    const first = await send(a, { headers: TENANT });
    expect(first.result.kind).toBe('continue');
    expect((await send(b, { headers: TENANT })).result.kind).toBe('continue');
    await answer(first.stream, { prompt: 10, completion: 95 });
    await flushed(stores[0] as StoreHolder);
    const refused = (await send(b, { headers: TENANT })).result;
    expect(jsonOf(refused)).toMatchObject({ error: { type: 'tokens', code: 'rate_limit_exceeded' } });
  });

  it('holds concurrency slots across replicas and frees them when a stream ends', async () => {
    const { routers, stores } = await replicas(
      '    - { name: tenant-slots, key: tenant, max_concurrent: 2 }',
    );
    const [a, b] = routers as [RequestRouter, RequestRouter];
    const held = await send(a, { headers: TENANT });
    expect(held.result.kind).toBe('continue');
    expect((await send(b, { headers: TENANT })).result.kind).toBe('continue');
    expect(isLimited((await send(b, { headers: TENANT })).result)).toBe(true);
    held.stream.release(true);
    await flushed(stores[0] as StoreHolder);
    expect((await send(b, { headers: TENANT })).result.kind).toBe('continue');
  });

  it('keeps serving with local counters while redis is stopped', async () => {
    const { routers, stores } = await replicas(
      '    - { name: per-tenant, key: tenant, requests_per_window: 3, window_seconds: 60 }',
    );
    const [a] = routers as [RequestRouter];
    expect((await send(a, { headers: TENANT })).result.kind).toBe('continue');
    await server?.stop();
    await until('outage noticed', () => !(stores[0] as StoreHolder).healthy);
    // Redis is gone: this replica counts alone, from zero, and still refuses beyond the limit.
    for (let i = 0; i < 3; i++) expect((await send(a, { headers: TENANT })).result.kind).toBe('continue');
    expect(isLimited((await send(a, { headers: TENANT })).result)).toBe(true);
  });
});
