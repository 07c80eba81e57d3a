// The process's store follows the policy's state_store section and keeps serving from memory while Redis is away:
// one log line when the outage starts, one when Redis is back, shared state again after it reconnects.
import { afterEach, describe, expect, it } from 'vitest';
import { compileStateStore, stateStoreSchema } from '../../../src/state/state-config.ts';
import { StoreHolder } from '../../../src/state/store-holder.ts';
import { createLogger } from '../../../src/telemetry/logger.ts';
import { RedisServer, redisSkipReason } from '../../helpers/redis-server.ts';

function capturingLogger() {
  const lines: { level: string; msg: string }[] = [];
  const logger = createLogger({
    level: 'debug',
    write: (line) => {
      const parsed = JSON.parse(line) as { level: string | number; msg: string };
      lines.push({ level: String(parsed.level), msg: parsed.msg });
    },
  });
  return { logger, lines };
}

function redisSettings(address: string, prefix = 'holder:') {
  return compileStateStore(
    stateStoreSchema.parse({ backend: 'redis', timeout_ms: 200, redis: { address, key_prefix: prefix } }),
  ).settings;
}

async function until(
  what: string,
  probe: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const servers: RedisServer[] = [];
const holders: StoreHolder[] = [];
afterEach(async () => {
  await Promise.all(holders.splice(0).map((h) => h.close()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

describe('StoreHolder with the memory backend', () => {
  it('serves from memory and reports itself up', async () => {
    const holder = new StoreHolder({ logger: capturingLogger().logger });
    holders.push(holder);
    await holder.incrementFields('k', { a: 1 });
    expect(await holder.readFields('k')).toEqual({ a: 1 });
    expect(holder.status()).toEqual({ backend: 'memory', up: true, errors: 0 });
  });
});

describe.skipIf(redisSkipReason !== undefined)('StoreHolder with redis', () => {
  it('shares state through redis, falls back to memory while it is stopped, and recovers when it restarts', async () => {
    const server = await RedisServer.start();
    servers.push(server);
    const { logger, lines } = capturingLogger();
    const holder = new StoreHolder({ logger });
    holders.push(holder);
    holder.apply(redisSettings(server.address));
    await until('redis connected', () => holder.healthy);
    const peer = new StoreHolder({ logger: capturingLogger().logger });
    holders.push(peer);
    peer.apply(redisSettings(server.address));
    await until('peer connected', () => peer.healthy);

    await holder.incrementFields('arm', { wins: 1 });
    expect(await peer.readFields('arm')).toEqual({ wins: 1 });

    await server.stop();
    // Every call still answers (from memory); the outage is logged once, not per call.
    for (let i = 0; i < 20; i++) await holder.incrementFields('local', { n: 1 });
    expect(await holder.readFields('local')).toEqual({ n: 20 });
    await holder.set('v', 'x');
    expect(await holder.get('v')).toBe('x');
    expect(holder.status()).toMatchObject({ backend: 'redis', up: false });
    const outageLines = lines.filter((l) => l.msg.includes('redis unavailable'));
    expect(outageLines).toHaveLength(1);

    await server.start();
    await until('redis reconnected', () => holder.healthy);
    expect(lines.filter((l) => l.msg.includes('redis is back'))).toHaveLength(1);
    // Shared again: the restarted (empty) redis holds what one replica writes and the other reads.
    await holder.incrementFields('arm', { wins: 2 });
    await until('peer reconnected', () => peer.healthy);
    expect(await peer.readFields('arm')).toEqual({ wins: 2 });
  });

  it('starts serving from memory when redis is unreachable from the start, and logs it once', async () => {
    const { logger, lines } = capturingLogger();
    const holder = new StoreHolder({ logger });
    holders.push(holder);
    const server = await RedisServer.start();
    const address = server.address;
    await server.stop();
    holder.apply(redisSettings(address));
    await until('outage logged', () => lines.some((l) => l.msg.includes('redis unavailable')));
    await holder.incrementFields('k', { a: 2 });
    expect(await holder.readFields('k')).toEqual({ a: 2 });
    expect(lines.filter((l) => l.msg.includes('redis unavailable'))).toHaveLength(1);
  });

  it('switches backend when the policy changes it, and back', async () => {
    const server = await RedisServer.start();
    servers.push(server);
    const holder = new StoreHolder({ logger: capturingLogger().logger });
    holders.push(holder);
    await holder.incrementFields('m', { a: 1 });
    holder.apply(redisSettings(server.address, 'switch:'));
    await until('redis connected', () => holder.healthy);
    expect(holder.kind).toBe('redis');
    expect(await holder.readFields('m')).toEqual({});
    await holder.incrementFields('m', { r: 1 });
    holder.apply(compileStateStore(stateStoreSchema.parse({})).settings);
    expect(holder.kind).toBe('memory');
    // In-memory learning from before the switch is still there.
    expect(await holder.readFields('m')).toEqual({ a: 1 });
  });
});

describe('state_store settings', () => {
  it('rejects a redis backend without an address, and both password forms at once', () => {
    expect(stateStoreSchema.safeParse({ backend: 'redis' }).success).toBe(false);
    const both = stateStoreSchema.safeParse({
      backend: 'redis',
      redis: { address: 'r:6379', password: 'x', password_env: 'Y' },
    });
    expect(both.success).toBe(false);
  });

  it('reads the password from the named environment variable and reports a missing one', () => {
    const doc = stateStoreSchema.parse({
      backend: 'redis',
      redis: { address: '[::1]:6390', password_env: 'REDIS_PW' },
    });
    const ok = compileStateStore(doc, { REDIS_PW: 's3cret' });
    expect(ok.problems).toEqual([]);
    expect(ok.settings.redis).toMatchObject({ host: '::1', port: 6390, password: 's3cret' });
    const missing = compileStateStore(doc, {});
    expect(missing.problems[0]?.message).toContain('REDIS_PW');
  });
});

describe.skipIf(redisSkipReason !== undefined)('StoreHolder with a frozen redis', () => {
  it('answers from memory once a command times out, counts the error, and recovers when redis answers again', async () => {
    const server = await RedisServer.start();
    servers.push(server);
    const { logger, lines } = capturingLogger();
    const holder = new StoreHolder({ logger });
    holders.push(holder);
    holder.apply(redisSettings(server.address));
    await until('redis connected', () => holder.healthy);
    server.pause();
    await holder.incrementFields('k', { a: 1 });
    expect(holder.status()).toEqual({ backend: 'redis', up: false, errors: 1 });
    expect(await holder.readFields('k')).toEqual({ a: 1 });
    expect(lines.filter((l) => l.msg.includes('redis unavailable'))).toHaveLength(1);
    server.resume();
    await until('redis reconnected', () => holder.healthy);
    // Reads go to redis again (what the frozen server had queued may still have landed there: timeouts are
    // ambiguous), and new writes are shared.
    await holder.incrementFields('fresh', { b: 2 });
    expect(await holder.readFields('fresh')).toEqual({ b: 2 });
    expect(holder.status()).toEqual({ backend: 'redis', up: true, errors: 1 });
  });
});
