// Capacity: maxConcurrency admits requests in arrival order and queues the rest, and /metrics reports the running
// batch, the queue, a KV-cache stand-in and per-status counters in vLLM's names, as the router's scraper reads them.
import { afterEach, describe, expect, it } from 'vitest';
import { CHAT, closeStubs, type RunningStub, sample, startStub, waitFor } from './helpers.ts';

afterEach(closeStubs);

const PATH = '/v1/chat/completions';
const HOUR = { 'x-stub-ttft-ms': '3600000' };

async function load(stub: RunningStub, model: string) {
  const text = await stub.metrics();
  const label = `model_name="${model}"`;
  return {
    running: sample(text, 'vllm:num_requests_running', label),
    waiting: sample(text, 'vllm:num_requests_waiting', label),
    cache: sample(text, 'vllm:gpu_cache_usage_perc', label),
  };
}

/** Sends a request that is admitted only once a slot frees up; resolves to the answer text. */
function answerText(stub: RunningStub, prompt: string, signal?: AbortSignal): Promise<string> {
  return stub
    .post(PATH, CHAT(prompt), {}, signal)
    .then((res) => res.json() as Promise<{ choices: { message: { content: string } }[] }>)
    .then((body) => body.choices[0]?.message.content ?? '');
}

describe('stub capacity', () => {
  it('queues requests beyond maxConcurrency and admits them in arrival order (FIFO)', async () => {
    const stub = await startStub({ pool: 'l4-pool', model: 'Qwen/Qwen3-8B', maxConcurrency: 1 });
    const blocker = new AbortController();
    const blocked = stub.post(PATH, CHAT('blocker'), HOUR, blocker.signal).catch(() => undefined);
    await waitFor(
      () => load(stub, 'Qwen/Qwen3-8B'),
      (l) => l.running === 1,
    );

    const done: string[] = [];
    const queued: Promise<void>[] = [];
    for (const prompt of ['first', 'second', 'third']) {
      queued.push(answerText(stub, prompt).then((text) => void done.push(text)));
      // Each joins the queue before the next is sent, so arrival order is known.
      await waitFor(
        () => load(stub, 'Qwen/Qwen3-8B'),
        (l) => l.waiting === queued.length,
      );
    }
    expect(await load(stub, 'Qwen/Qwen3-8B')).toEqual({ running: 1, waiting: 3, cache: 1 });
    expect(done).toEqual([]);

    blocker.abort();
    await blocked;
    await Promise.all(queued);
    expect(done).toEqual(['first', 'second', 'third'].map((p) => `[l4-pool] Qwen/Qwen3-8B answered: ${p}`));
    expect(await load(stub, 'Qwen/Qwen3-8B')).toEqual({ running: 0, waiting: 0, cache: 0 });
    expect((await stub.state()).served).toEqual({ 200: 3, aborted: 1 });
  });

  it('reports running / maxConcurrency as KV-cache usage, and a client that gives up leaves the queue', async () => {
    const stub = await startStub({ pool: 'h100-pool', maxConcurrency: 4 });
    const clients = Array.from({ length: 5 }, () => new AbortController());
    const send = (i: number) =>
      stub.post(PATH, CHAT(`hold ${i}`), HOUR, clients[i]?.signal).catch(() => undefined);
    const pending = [0, 1, 2, 3].map(send);
    await waitFor(stub.state, (s) => s.running === 4);
    pending.push(send(4));
    // Without --model the pool's name labels the samples.
    expect(
      await waitFor(
        () => load(stub, 'h100-pool'),
        (l) => l.waiting === 1,
      ),
    ).toEqual({ running: 4, waiting: 1, cache: 1 });

    // The queued one gives up: it leaves the queue without ever running.
    clients[4]?.abort();
    expect(
      await waitFor(
        () => load(stub, 'h100-pool'),
        (l) => l.waiting === 0,
      ),
    ).toEqual({ running: 4, waiting: 0, cache: 1 });
    expect((await stub.state()).served).toEqual({ aborted: 1 });
    clients[0]?.abort();
    clients[1]?.abort();
    expect(
      await waitFor(
        () => load(stub, 'h100-pool'),
        (l) => l.running === 2,
      ),
    ).toEqual({ running: 2, waiting: 0, cache: 0.5 });
    for (const c of clients) c.abort();
    await Promise.all(pending);
    await waitFor(stub.state, (s) => s.running === 0);
  });

  it('status faults are answered at once, without waiting for a slot', async () => {
    const stub = await startStub({ pool: 'l4-pool', maxConcurrency: 1 });
    const blocker = new AbortController();
    const blocked = stub.post(PATH, CHAT('blocker'), HOUR, blocker.signal).catch(() => undefined);
    await waitFor(stub.state, (s) => s.running === 1);
    expect((await stub.post(PATH, CHAT('x'), { 'x-stub-status': '503' })).status).toBe(503);
    blocker.abort();
    await blocked;
  });

  it('exposes well-formed Prometheus text with token and per-status counters', async () => {
    const stub = await startStub({ pool: 'l4-pool', model: 'Qwen/Qwen3-8B', completionTokens: 50 });
    await (await stub.post(PATH, CHAT('12345678'))).arrayBuffer();
    await (await stub.post(PATH, CHAT('12345678'))).arrayBuffer();
    await (await stub.post(PATH, CHAT('x'), { 'x-stub-status': '503' })).arrayBuffer();
    const res = await fetch(`${stub.base}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const label = 'model_name="Qwen/Qwen3-8B"';
    expect(sample(text, 'vllm:prompt_tokens_total', label)).toBe(4);
    expect(sample(text, 'vllm:generation_tokens_total', label)).toBe(100);
    expect(sample(text, 'stub_requests_total', `${label},status="200"`)).toBe(2);
    expect(sample(text, 'stub_requests_total', `${label},status="503"`)).toBe(1);
    // Every sample line belongs to a metric declared by # HELP and # TYPE lines just before its samples.
    const declared = new Set<string>();
    for (const line of text.trimEnd().split('\n')) {
      const meta = /^# (HELP|TYPE) (\S+) (.+)$/.exec(line);
      if (meta) {
        if (meta[1] === 'TYPE') expect(['gauge', 'counter']).toContain(meta[3]);
        declared.add(meta[2] as string);
        continue;
      }
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\} (\S+)$/.exec(line);
      expect(match, line).not.toBeNull();
      expect(declared).toContain(match?.[1]);
      expect(match?.[2]).toContain(label);
      expect(Number.isFinite(Number(match?.[3]))).toBe(true);
    }
  });
});
