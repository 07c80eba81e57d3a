// Two replicas in one process (each its own registry and in-memory cache) sharing one state store: a paraphrase of
// an answer one stored is a semantic hit on the other; the shared vectors per bucket are capped; a flush on one
// reaches the store and the other's own copies; a failing store is a miss, counted, never a failed request.
import { describe, expect, it } from 'vitest';
import type { PhaseResult } from '../../../src/mutations.ts';
import { PLUGINS as PLUGIN_REGISTRY } from '../../../src/plugins/index.ts';
import type { PluginDefinition } from '../../../src/plugins/plugin.ts';
import { responseCacheConfigSchema } from '../../../src/plugins/response-cache/cache-config.ts';
import { FOLLOW_INTERVAL_MS } from '../../../src/plugins/response-cache/flush-log.ts';
import { createResponseCachePlugin } from '../../../src/plugins/response-cache/response-cache-plugin.ts';
import { ResponseCacheRegistry } from '../../../src/plugins/response-cache/response-cache-registry.ts';
import { scopeKeyPrefix } from '../../../src/plugins/response-cache/shared-entries.ts';
import {
  nearestSharedVector,
  writeSharedVector,
} from '../../../src/plugins/response-cache/shared-vectors.ts';
import { sparseDot, toSparse } from '../../../src/plugins/response-cache/sparse-vector.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import { MemoryStore, type SharedStore } from '../../../src/state/shared-store.ts';
import { askReplica, compilePlugins } from '../../helpers/response-plugins.ts';

const PLUGINS = await PLUGIN_REGISTRY.loadAll();

// Calibrated similarities with the lexical model: PARAPHRASE 0.959 to QUESTION, OTHER 0.916.
const THRESHOLD = 0.95;
const QUESTION = 'How far is the Moon from the Earth?';
const PARAPHRASE = 'how far away is the moon from earth?';
const OTHER = 'How far is Mars from the Earth?';

interface Replica {
  readonly policy: Policy;
  readonly registry: ResponseCacheRegistry;
  readonly store: SharedStore;
  readonly clock: { now: number };
}

async function replica(store: SharedStore, configuration: Record<string, unknown> = {}): Promise<Replica> {
  const registry = new ResponseCacheRegistry();
  registry.useSharedStore(store);
  const clock = { now: 1_000_000 };
  const definition: PluginDefinition<unknown> = {
    name: 'response_cache',
    configSchema: responseCacheConfigSchema,
    create: (config, deps) =>
      createResponseCachePlugin(responseCacheConfigSchema.parse(config), deps, {
        registry,
        now: () => clock.now,
      }),
  };
  const plugins = new Map([...PLUGINS, ['response_cache', definition as PluginDefinition<never>]]);
  const policy = await compilePlugins(
    [
      {
        type: 'response_cache',
        configuration: {
          backend: 'state_store',
          semantic: { similarity_threshold: THRESHOLD },
          ...configuration,
        },
      },
    ],
    plugins,
  );
  return { policy, registry, store, clock };
}

/** One exchange; with `answer`, the upstream answers it (and the answer is stored). */
async function ask(r: Replica, text: string, answer?: string): Promise<PhaseResult> {
  const result = await askReplica(r.policy, r.store, text, answer);
  // The shared writes run after the answer passed: let them land.
  await new Promise((resolve) => setTimeout(resolve, 0));
  return result;
}

function lookupOf(result: PhaseResult): string | undefined {
  if (result.kind !== 'immediate') return undefined;
  return result.headers.find(([name]) => name === 'x-router-cache')?.[1];
}

function contentOf(result: PhaseResult): string | undefined {
  if (result.kind !== 'immediate') return undefined;
  const body = JSON.parse(Buffer.from(result.body).toString('utf8')) as {
    choices: { message: { content: string } }[];
  };
  return body.choices[0]?.message.content;
}

describe('response_cache vectors shared through the state store', () => {
  it("serves on one replica, as a semantic hit, a paraphrase of the other's answer; not an unrelated prompt", async () => {
    const store = new MemoryStore();
    const a = await replica(store);
    const b = await replica(store);
    expect((await ask(a, QUESTION, 'About 384,400 km.')).kind).toBe('continue');
    expect((await ask(b, OTHER)).kind).toBe('continue');
    const served = await ask(b, PARAPHRASE);
    expect(contentOf(served)).toBe('About 384,400 km.');
    expect(lookupOf(served)).toMatch(/^semantic;similarity=0\.9[5-9]/);
    expect(b.registry.counters.semanticHits).toBe(1);
    // B keeps the answer with its vector: it is now in B's own index.
    expect(b.registry.snapshot().entries).toBe(1);
  });

  it('keeps only the newest max_shared_vectors of a bucket', async () => {
    const store = new MemoryStore();
    const a = await replica(store, { max_shared_vectors: 1 });
    const b = await replica(store);
    await ask(a, QUESTION, 'About 384,400 km.');
    await ask(a, 'Name three primary colours.', 'Red, yellow and blue.');
    expect((await ask(b, PARAPHRASE)).kind).toBe('continue');
    expect(contentOf(await ask(b, 'name three primary colours'))).toBe('Red, yellow and blue.');
  });

  it("a flush on one replica deletes the shared entries and, within a second, the other's own copies", async () => {
    const store = new MemoryStore();
    const a = await replica(store);
    const b = await replica(store);
    await ask(a, QUESTION, 'About 384,400 km.');
    await ask(a, 'Name three primary colours.', 'Red, yellow and blue.');
    expect(contentOf(await ask(b, PARAPHRASE))).toBe('About 384,400 km.');
    expect(await a.registry.flush('global')).toEqual({ flushed: 2, sharedKeys: 3 });
    expect((await ask(b, 'name three primary colours')).kind).toBe('continue');
    // B's own copy serves until B reads the log of flushes (a lookup after the interval starts the read).
    b.clock.now += FOLLOW_INTERVAL_MS;
    await ask(b, 'An unrelated question to start the read');
    expect((await ask(b, PARAPHRASE)).kind).toBe('continue');
    expect(b.registry.snapshot().entries).toBe(0);
  });

  it('serves on when the store fails: lookups miss, answers pass, the failures are counted', async () => {
    const failing = async (): Promise<never> => {
      throw new Error('store down');
    };
    const broken: SharedStore = {
      kind: 'redis',
      healthy: false,
      get: failing,
      set: failing,
      incrementFields: failing,
      readFields: failing,
      appendCapped: failing,
      readList: failing,
      deleteByPrefix: failing,
      close: async () => undefined,
    };
    const r = await replica(broken);
    expect((await ask(r, QUESTION, 'About 384,400 km.')).kind).toBe('continue');
    expect(contentOf(await ask(r, PARAPHRASE))).toBe('About 384,400 km.');
    expect((await ask(r, OTHER)).kind).toBe('continue');
    expect(r.registry.counters.sharedErrors).toBeGreaterThanOrEqual(4);
    expect(await r.registry.flush()).toEqual({ flushed: 1 });
  });

  it('keeps vectors exact to 1e-4 through the store, and skips expired and malformed items', async () => {
    const store = new MemoryStore();
    const target = { scope: 'global', bucket: 'b' };
    const dense = new Float32Array(4096);
    for (let i = 0; i < 120; i++) dense[(i * 31) % 4096] = (i % 7) - 3.2;
    const norm = Math.hypot(...dense);
    for (let i = 0; i < dense.length; i++) dense[i] = (dense[i] as number) / norm;
    const vector = toSparse(dense);
    const live = { storedAt: 0, expiresAt: 10_000 };
    await writeSharedVector(
      store,
      { ...target, exact: 'gone' },
      vector,
      { storedAt: 0, expiresAt: 5 },
      8,
      () => {},
    );
    await store.appendCapped(`${scopeKeyPrefix('global')}v:b`, 'not an item,', 8);
    await writeSharedVector(store, { ...target, exact: 'kept' }, vector, live, 8, () => {});
    const hit = await nearestSharedVector(store, target, dense, 0.99, 10, () => {});
    expect(hit?.exact).toBe('kept');
    expect(hit?.raw).toBeCloseTo(1, 4);
    expect([...(hit?.vector.positions ?? [])]).toEqual([...vector.positions]);
    expect(sparseDot(dense, hit?.vector ?? vector)).toBeCloseTo(1, 4);
    expect(await nearestSharedVector(store, target, dense, 0.99, 20_000, () => {})).toBeUndefined();
  });
});
