// One contract for every SharedStore: the in-process MemoryStore and the RedisStore against a real redis-server
// behave the same for values, expiry, atomic field increments and reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../../src/state/redis-store.ts';
import { MemoryStore, type SharedStore } from '../../../src/state/shared-store.ts';
import { RedisServer, redisSkipReason } from '../../helpers/redis-server.ts';

let server: RedisServer | undefined;
let prefixCounter = 0;

function redisStore(prefix = `contract-${++prefixCounter}:`): RedisStore {
  const [host, port] = (server as RedisServer).address.split(':');
  return new RedisStore({
    host: host as string,
    port: Number(port),
    username: undefined,
    password: undefined,
    database: 0,
    keyPrefix: prefix,
    connectTimeoutMs: 2000,
    timeoutMs: 2000,
  });
}

beforeAll(async () => {
  if (!redisSkipReason) server = await RedisServer.start();
});
afterAll(async () => {
  await server?.stop();
});

function requireDefined<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the store lacks this optional method');
  return value;
}

const backends: [string, () => Promise<SharedStore>, string | undefined][] = [
  ['memory', async () => new MemoryStore(), undefined],
  [
    'redis',
    async () => {
      const store = redisStore();
      await store.ready();
      return store;
    },
    redisSkipReason,
  ],
];

describe.each(backends)('SharedStore contract: %s', (_name, open, skipReason) => {
  if (skipReason) console.warn(`redis contract tests skipped: ${skipReason}`);
  const test = skipReason ? it.skip : it;

  test('get returns what set stored, undefined for a missing key', async () => {
    const store = await open();
    await store.set('a', 'one');
    expect(await store.get('a')).toBe('one');
    expect(await store.get('missing')).toBeUndefined();
    await store.set('a', 'two');
    expect(await store.get('a')).toBe('two');
    await store.close();
  });

  test('a value with a ttl expires', async () => {
    const store = await open();
    await store.set('short', 'x', 30);
    await store.set('long', 'y', 60_000);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await store.get('short')).toBeUndefined();
    expect(await store.get('long')).toBe('y');
    await store.close();
  });

  test('field increments add up, also when many run at once', async () => {
    const store = await open();
    await Promise.all(Array.from({ length: 50 }, () => store.incrementFields('h', { alpha: 1, beta: 0.5 })));
    await store.incrementFields('h', { gamma: -2.25 });
    expect(await store.readFields('h')).toEqual({ alpha: 50, beta: 25, gamma: -2.25 });
    expect(await store.readFields('absent')).toEqual({});
    await store.close();
  });

  test('values survive text that needs no escaping on the wire (unicode, CRLF, spaces)', async () => {
    const store = await open();
    const value = JSON.stringify({ text: 'ü 漢字\r\n$5\r\n*2', n: 1 });
    await store.set('k e y', value);
    expect(await store.get('k e y')).toBe(value);
    await store.close();
  });

  test('a capped list keeps its newest items in order and expires as a whole', async () => {
    const store = await open();
    const append = requireDefined(store.appendCapped).bind(store);
    const read = requireDefined(store.readList).bind(store);
    for (const item of ['a', 'b', 'c', 'd']) await append('list', item, 3, 60_000);
    expect(await read('list')).toEqual(['b', 'c', 'd']);
    expect(await read('absent')).toEqual([]);
    await append('brief', 'x', 3, 30);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await read('brief')).toEqual([]);
    await store.close();
  });

  test('a list read back whole when its reply spans many TCP chunks', async () => {
    const store = await open();
    const items = Array.from({ length: 600 }, (_, i) => `${i}:${'x'.repeat(1000)}`);
    for (const item of items) await requireDefined(store.appendCapped).call(store, 'big', item, 512);
    expect(await requireDefined(store.readList).call(store, 'big')).toEqual(items.slice(-512));
    await store.close();
  });

  test('deleting by prefix removes values and lists under it and nothing else', async () => {
    const store = await open();
    await store.set('cache:a:1', 'one');
    await store.set('cache:a:2', 'two');
    await requireDefined(store.appendCapped).call(store, 'cache:a:list', 'item', 10);
    await store.set('cache:b:1', 'kept');
    await store.set('cache*:a:1', 'kept too');
    expect(await requireDefined(store.deleteByPrefix).call(store, 'cache:a:')).toBe(3);
    expect(await store.get('cache:a:1')).toBeUndefined();
    expect(await requireDefined(store.readList).call(store, 'cache:a:list')).toEqual([]);
    expect(await store.get('cache:b:1')).toBe('kept');
    expect(await store.get('cache*:a:1')).toBe('kept too');
    // Glob characters in a prefix are literal: `cache*` is not a pattern matching `cache:b:1`.
    expect(await requireDefined(store.deleteByPrefix).call(store, 'cache*')).toBe(1);
    expect(await store.get('cache:b:1')).toBe('kept');
    await store.close();
  });
});

describe.skipIf(redisSkipReason !== undefined)('RedisStore key prefix', () => {
  it('replicas with the same prefix share keys; another prefix sees none of them', async () => {
    const first = redisStore('deploy-a:');
    const second = redisStore('deploy-a:');
    const other = redisStore('deploy-b:');
    await Promise.all([first.ready(), second.ready(), other.ready()]);
    await first.incrementFields('arm', { wins: 2 });
    await second.incrementFields('arm', { wins: 3 });
    expect(await second.readFields('arm')).toEqual({ wins: 5 });
    expect(await other.readFields('arm')).toEqual({});
    await Promise.all([first.close(), second.close(), other.close()]);
  });
});
