// The response cache as operators see it: its counters and a flush by scope on the admin server, and its metrics
// on /metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminServer } from '../../../src/admin/admin-server.ts';
import { readinessReport } from '../../../src/admin/readiness.ts';
import { observeResponseCache } from '../../../src/plugins/response-cache/cache-metrics.ts';
import type { CacheEntry } from '../../../src/plugins/response-cache/memory-cache-store.ts';
import { ResponseCacheRegistry } from '../../../src/plugins/response-cache/response-cache-registry.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import { testTelemetry } from '../telemetry/telemetry-helpers.ts';

function entry(exact: string, scope: string): CacheEntry {
  return {
    exact,
    bucket: `${scope}/b`,
    scope,
    answer: { model: 'm', content: 'an answer', finishReason: 'stop', usage: undefined },
    vector: undefined,
    bytes: 500,
    storedAt: 0,
    expiresAt: Number.MAX_SAFE_INTEGER,
  };
}

describe('the response cache on the admin server', () => {
  const registry = new ResponseCacheRegistry();
  let admin: AdminServer;
  let base: string;
  beforeAll(async () => {
    admin = new AdminServer({
      readiness: () =>
        readinessReport({ policyCompiled: true, modelsWarm: true, grpcAccepting: true, shuttingDown: false }),
      policy: () => undefined,
      responseCache: registry,
      logger: silentLogger,
    });
    base = `http://127.0.0.1:${await admin.listen('127.0.0.1', 0)}`;
  });
  afterAll(() => admin.close());

  it('flushes one scope and leaves the others', async () => {
    const store = registry.store({ maxEntries: 100, maxBytes: 1_000_000 });
    store.put(entry('a1', 'tenant:acme'), 0);
    store.put(entry('a2', 'tenant:acme'), 0);
    store.put(entry('g1', 'tenant:globex'), 0);
    const flushed = await fetch(`${base}/cache/flush?scope=${encodeURIComponent('tenant:acme')}`, {
      method: 'POST',
    });
    expect(await flushed.json()).toEqual({ flushed: 2, scope: 'tenant:acme' });
    expect(await (await fetch(`${base}/cache`)).json()).toMatchObject({ entries: 1, bytes: 500 });
    expect(store.getExact('g1', 1)).toBeDefined();
    expect((await fetch(`${base}/cache/flush`)).status).toBe(405);
    expect(await (await fetch(`${base}/cache/flush`, { method: 'POST' })).json()).toEqual({
      flushed: 1,
      scope: 'all',
    });
  });

  it('lists the cache endpoints among those an unknown path names', async () => {
    const unknown = await fetch(`${base}/no-such-endpoint`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { endpoints: string[] }).endpoints).toEqual(
      expect.arrayContaining(['/cache', '/cache/flush']),
    );
  });
});

describe('response cache metrics', () => {
  it('counts lookups by outcome and shows entries, bytes and evictions', async () => {
    const registry = new ResponseCacheRegistry();
    const { telemetry, prometheusText } = testTelemetry({ tracing: false });
    observeResponseCache(telemetry.meter, registry);
    const store = registry.store({ maxEntries: 2, maxBytes: 1_000_000 });
    for (const id of ['x', 'y', 'z']) store.put(entry(id, 'global'), 0);
    registry.countLookup('exact_hit', 0.0002);
    registry.countLookup('miss', 0.0004);
    registry.countLookup('miss', 0.0004);
    const text = await prometheusText();
    expect(text).toMatch(/router_cache_lookups_total\{outcome="exact_hit"\} 1/);
    expect(text).toMatch(/router_cache_lookups_total\{outcome="miss"\} 2/);
    expect(text).toMatch(/router_cache_lookup_duration_seconds_count\{outcome="miss"\} 2/);
    expect(text).toMatch(/router_cache_entries 2/);
    expect(text).toMatch(/router_cache_bytes 1000/);
    expect(text).toMatch(/router_cache_evictions_total 1/);
    await telemetry.shutdown();
  });
});
