// The RESP2 client: replies split across TCP chunks, error replies, pipelining in order, and a frozen Redis that
// answers nothing: the command times out, the connection is dropped, and the client reconnects once Redis answers.
import { afterEach, describe, expect, it } from 'vitest';
import {
  encodeCommand,
  parseReply,
  RespClient,
  RespReplyError,
  RespUnavailableError,
  replyEnd,
} from '../../../src/state/resp-client.ts';
import { RedisServer, redisSkipReason } from '../../helpers/redis-server.ts';

describe('RESP encoding and parsing', () => {
  it('encodes commands as arrays of bulk strings, counting bytes not characters', () => {
    expect(encodeCommand(['SET', 'k', 'ü']).toString()).toBe('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nü\r\n');
  });

  it('parses every reply type and waits for the rest of a split reply', () => {
    const whole = Buffer.from('+OK\r\n:42\r\n$-1\r\n*2\r\n$1\r\na\r\n$3\r\n1.5\r\n-ERR wrong\r\n');
    const values = [];
    let position = 0;
    for (;;) {
      const parsed = parseReply(whole, position);
      if (!parsed) break;
      values.push(parsed.value);
      position = parsed.end;
    }
    expect(values.slice(0, 4)).toEqual(['OK', 42, null, ['a', '1.5']]);
    expect(values[4]).toBeInstanceOf(RespReplyError);
    for (let cut = 1; cut < 18; cut++) {
      const partial = Buffer.from('*2\r\n$1\r\na\r\n$3\r\n1.5\r\n').subarray(0, cut);
      expect(parseReply(partial, 0)).toBeUndefined();
    }
  });

  it('finds where a reply ends exactly where parsing does, and nowhere in a partial one', () => {
    const nested = Buffer.from('*3\r\n$2\r\nab\r\n*2\r\n:1\r\n$-1\r\n$3\r\n\r\nx\r\n+OK\r\n');
    const first = parseReply(nested, 0);
    expect(first?.value).toEqual(['ab', [1, null], '\r\nx']);
    expect(replyEnd(nested, 0)).toBe(first?.end);
    expect(replyEnd(nested, first?.end ?? 0)).toBe(nested.length);
    const end = first?.end ?? 0;
    for (let cut = 0; cut < end; cut++) expect(replyEnd(nested.subarray(0, cut), 0)).toBeUndefined();
  });
});

describe.skipIf(redisSkipReason !== undefined)('RespClient against redis-server', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function open(commandTimeoutMs = 1000) {
    const server = await RedisServer.start();
    cleanup.push(() => server.stop());
    const states: boolean[] = [];
    const client = new RespClient({
      host: '127.0.0.1',
      port: server.port,
      commandTimeoutMs,
      connectTimeoutMs: 1000,
      minBackoffMs: 20,
      maxBackoffMs: 100,
      onStateChange: (up) => states.push(up),
    });
    cleanup.push(() => client.close());
    await client.ready();
    return { server, client, states };
  }

  it('answers pipelined commands in order and reports error replies', async () => {
    const { client } = await open();
    const replies = await client.pipeline([
      ['SET', 'a', '1'],
      ['INCRBYFLOAT', 'a', '0.5'],
      ['GET', 'a'],
      ['GET', 'missing'],
    ]);
    expect(replies).toEqual(['OK', '1.5', '1.5', null]);
    await expect(client.command(['HINCRBYFLOAT', 'a', 'f', '1'])).rejects.toBeInstanceOf(RespReplyError);
    // The connection stays usable after an error reply.
    expect(await client.command(['PING'])).toBe('PONG');
  });

  it('times out on a frozen redis, fails fast while it is away, and reconnects when it answers again', async () => {
    const { server, client, states } = await open(150);
    server.pause();
    await expect(client.command(['PING'])).rejects.toBeInstanceOf(RespUnavailableError);
    expect(client.up).toBe(false);
    await expect(client.command(['PING'])).rejects.toThrow('not connected');
    server.resume();
    const deadline = Date.now() + 10_000;
    while (!client.up && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await client.command(['PING'])).toBe('PONG');
    expect(states).toEqual([true, false, true]);
  });

  it('authenticates and selects the database when told to', async () => {
    const { server, client } = await open();
    await client.command(['CONFIG', 'SET', 'requirepass', 's3cret']);
    const authed = new RespClient({
      host: '127.0.0.1',
      port: server.port,
      password: 's3cret',
      database: 3,
      commandTimeoutMs: 1000,
      connectTimeoutMs: 1000,
    });
    cleanup.push(() => authed.close());
    await authed.ready();
    await authed.command(['SET', 'db3-key', 'x']);
    const wrong = new RespClient({
      host: '127.0.0.1',
      port: server.port,
      password: 'nope',
      commandTimeoutMs: 500,
      connectTimeoutMs: 500,
    });
    cleanup.push(() => wrong.close());
    await expect(wrong.ready()).rejects.toThrow();
    expect(wrong.up).toBe(false);
  });
});
