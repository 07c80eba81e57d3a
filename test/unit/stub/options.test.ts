// Options and flags: createStubServer validates its options, main.ts maps every flag onto them, and the FIFO limiter
// behind maxConcurrency keeps arrival order when waiters give up.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseStubArgs } from '../../../src/stub/flags.ts';
import { createStubServer } from '../../../src/stub/openai-stub.ts';
import { FifoLimiter } from '../../../src/stub/queue.ts';
import { repoRoot } from '../../helpers/helm.ts';

describe('stub options', () => {
  it.each([
    [{ errorRate: 1.5 }, 'errorRate'],
    [{ errorStatus: 302 }, 'errorStatus'],
    [{ mode: 'explode' as never }, 'mode'],
    [{ maxConcurrency: 0 }, 'maxConcurrency'],
    [{ tokensPerSecond: -1 }, 'tokensPerSecond'],
    [{ completionTokens: 2.5 }, 'completionTokens'],
    [{ pool: '' }, 'pool'],
  ])('createStubServer rejects %j', (bad, field) => {
    expect(() => createStubServer({ pool: 'p', ...bad })).toThrow(RangeError);
    expect(() => createStubServer({ pool: 'p', ...bad })).toThrow(field);
  });

  it('maps every flag onto an option', () => {
    const command = parseStubArgs([
      '--pool=l4-pool',
      '--port=9000',
      '--host=127.0.0.1',
      '--model=Qwen/Qwen3-8B',
      '--ttft-ms=120',
      '--tokens-per-second=40',
      '--completion-tokens=500',
      '--error-rate=0.25',
      '--error-status=500',
      '--fault-mode=reset',
      '--fail-after=10',
      '--seed=7',
      '--max-concurrency=8',
    ]);
    expect(command).toEqual({
      port: 9000,
      host: '127.0.0.1',
      options: {
        pool: 'l4-pool',
        model: 'Qwen/Qwen3-8B',
        ttftMs: 120,
        tokensPerSecond: 40,
        completionTokens: 500,
        errorRate: 0.25,
        errorStatus: 500,
        mode: 'reset',
        failAfter: 10,
        seed: 7,
        maxConcurrency: 8,
      },
    });
    expect(parseStubArgs(['--pool', 'p'])).toEqual({ port: 8000, host: '0.0.0.0', options: { pool: 'p' } });
  });

  it.each([[['--port', '1']], [['--pool', 'p', '--ttft-ms', 'soon']], [['--pool', 'p', '--speed', '3']]])(
    'refuses %j',
    (args) => {
      expect(() => parseStubArgs(args)).toThrow();
    },
  );

  it('main.ts serves with its flags, and exits 2 with the usage on a bad one', async () => {
    const run = (args: string[]) =>
      spawn(process.execPath, ['--import', 'tsx', 'src/stub/main.ts', ...args], {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const bad = run(['--pool', 'p', '--error-rate', '3']);
    let stderr = '';
    bad.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    expect(await new Promise((resolve) => bad.once('exit', resolve))).toBe(2);
    expect(stderr).toContain('errorRate');
    expect(stderr).toContain('usage: stub');

    const good = run([
      '--pool',
      'p',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--max-concurrency',
      '3',
      '--seed',
      '1',
    ]);
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        good.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const match = /"port":(\d+)/.exec(out);
          if (match) resolve(Number(match[1]));
        });
        good.once('exit', (code) => reject(new Error(`stub exited ${code}`)));
      });
      const state = (await (await fetch(`http://127.0.0.1:${port}/stub/state`)).json()) as Record<
        string,
        unknown
      >;
      expect(state).toMatchObject({ pool: 'p', maxConcurrency: 3 });
    } finally {
      const exited = new Promise((resolve) => good.once('exit', resolve));
      good.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});

describe('FifoLimiter', () => {
  it('hands a freed slot to the longest waiter, skipping those that gave up', async () => {
    const limiter = new FifoLimiter(1);
    const order: string[] = [];
    const first = await limiter.acquire(new AbortController().signal);
    const gaveUp = new AbortController();
    const wait = (name: string, signal = new AbortController().signal) =>
      limiter.acquire(signal).then((release) => {
        order.push(release ? name : `${name} left`);
        return release;
      });
    const waiters = [wait('a'), wait('b', gaveUp.signal), wait('c')];
    expect([limiter.running, limiter.waiting]).toEqual([1, 3]);
    gaveUp.abort();
    await waiters[1];
    expect([limiter.running, limiter.waiting]).toEqual([1, 2]);
    first?.();
    first?.(); // a second release is a no-op
    (await waiters[0])?.();
    (await waiters[2])?.();
    expect(order).toEqual(['b left', 'a', 'c']);
    expect([limiter.running, limiter.waiting]).toEqual([0, 0]);
  });
});
