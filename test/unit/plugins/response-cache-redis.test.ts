// Two replicas (each its own in-memory cache) sharing exact entries through a real redis-server: an answer stored
// by one is served by the other; with Redis gone, both keep serving requests (the cache misses, never fails).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhaseResult } from '../../../src/mutations.ts';
import { PLUGINS as PLUGIN_REGISTRY } from '../../../src/plugins/index.ts';
import type { PluginDefinition } from '../../../src/plugins/plugin.ts';
import { responseCacheConfigSchema } from '../../../src/plugins/response-cache/cache-config.ts';
import { createResponseCachePlugin } from '../../../src/plugins/response-cache/response-cache-plugin.ts';
import { ResponseCacheRegistry } from '../../../src/plugins/response-cache/response-cache-registry.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import { RedisStore } from '../../../src/state/redis-store.ts';
import { RedisServer, redisSkipReason } from '../../helpers/redis-server.ts';
import { askReplica, compilePlugins } from '../../helpers/response-plugins.ts';

const PLUGINS = await PLUGIN_REGISTRY.loadAll();

interface Replica {
  readonly policy: Policy;
  readonly registry: ResponseCacheRegistry;
  readonly store: RedisStore;
}

let server: RedisServer | undefined;
const replicas: Replica[] = [];

function redisStore(address: string): RedisStore {
  const [host, port] = address.split(':');
  return new RedisStore({
    host: host as string,
    port: Number(port),
    username: undefined,
    password: undefined,
    database: 0,
    keyPrefix: 'cache-test:',
    connectTimeoutMs: 500,
    timeoutMs: 500,
  });
}

async function replica(address: string): Promise<Replica> {
  const registry = new ResponseCacheRegistry();
  const definition: PluginDefinition<unknown> = {
    name: 'response_cache',
    configSchema: responseCacheConfigSchema,
    create: (config, deps) =>
      createResponseCachePlugin(responseCacheConfigSchema.parse(config), deps, { registry }),
  };
  const plugins = new Map([...PLUGINS, ['response_cache', definition as PluginDefinition<never>]]);
  const policy = await compilePlugins(
    [{ type: 'response_cache', configuration: { backend: 'state_store', mode: 'exact' } }],
    plugins,
  );
  const store = redisStore(address);
  await store.ready();
  return { policy, registry, store };
}

const ask = (r: Replica, text: string, answer?: string): Promise<PhaseResult> =>
  askReplica(r.policy, r.store, text, answer);

function contentOf(result: PhaseResult): string | undefined {
  if (result.kind !== 'immediate') return undefined;
  const body = JSON.parse(Buffer.from(result.body).toString('utf8')) as {
    choices: { message: { content: string } }[];
  };
  return body.choices[0]?.message.content;
}

describe.skipIf(redisSkipReason !== undefined)('response_cache shared through Redis', () => {
  beforeAll(async () => {
    server = await RedisServer.start();
    replicas.push(await replica(server.address), await replica(server.address));
  });
  afterAll(async () => {
    for (const r of replicas) await r.store.close();
    await server?.stop();
  });

  it('serves on one replica the answer the other stored', async () => {
    const [a, b] = replicas as [Replica, Replica];
    expect(
      (await ask(a, 'What is the boiling point of water?', 'Water boils at 100 °C at sea level.')).kind,
    ).toBe('continue');
    // The write to Redis is not awaited by the answer: wait until it landed.
    for (let i = 0; i < 50 && b.registry.counters.exactHits === 0; i++) {
      const result = await ask(b, 'What is the boiling point of water?');
      if (result.kind === 'immediate') {
        expect(contentOf(result)).toBe('Water boils at 100 °C at sea level.');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(b.registry.counters.exactHits).toBe(1);
    expect(b.registry.snapshot().entries).toBe(1);
  });

  it('keeps serving when Redis is gone: lookups miss, answers still pass, errors are counted', async () => {
    const [a, b] = replicas as [Replica, Replica];
    await server?.stop();
    const result = await ask(b, 'A question nobody asked before', 'an answer');
    expect(result.kind).toBe('continue');
    expect(contentOf(await ask(b, 'What is the boiling point of water?'))).toBe(
      'Water boils at 100 °C at sea level.',
    );
    expect((await ask(a, 'Another new question')).kind).toBe('continue');
    expect(b.registry.counters.sharedErrors + a.registry.counters.sharedErrors).toBeGreaterThan(0);
  });
});
