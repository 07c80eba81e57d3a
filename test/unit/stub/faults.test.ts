// Faults: a seeded error rate, the error status in each API's shape, x-stub-status, failAfter, and switching
// faults at runtime through /stub/fault (status, reset mid-answer, hang until the client gives up) and back.
import { afterEach, describe, expect, it } from 'vitest';
import { CHAT, closeStubs, type RunningStub, requestOf, startStub, waitFor } from './helpers.ts';
import { readSse } from './sse-reader.ts';

afterEach(closeStubs);

const PATH = '/v1/chat/completions';

async function statuses(stub: RunningStub, count: number): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < count; i++) {
    const res = await stub.post(PATH, CHAT(`request ${i}`));
    await res.arrayBuffer();
    seen.push(res.status);
  }
  return seen;
}

describe('stub faults', () => {
  it('errorRate with a seed fails a reproducible share of requests', async () => {
    const options = { pool: 'l4-pool', errorRate: 0.5, seed: 42 };
    const first = await statuses(await startStub(options), 40);
    const again = await statuses(await startStub(options), 40);
    expect(again).toEqual(first);
    expect(new Set(first)).toEqual(new Set([200, 503]));
    const failures = first.filter((s) => s === 503).length;
    expect(failures).toBeGreaterThan(8);
    expect(failures).toBeLessThan(32);
  });

  it('errorRate 1 answers errorStatus in each API’s error shape, naming the pool', async () => {
    const stub = await startStub({ pool: 'h100-pool', errorRate: 1, errorStatus: 429 });
    const openai = await stub.post(PATH, CHAT('hi'));
    expect(openai.status).toBe(429);
    expect(openai.headers.get('x-stub-pool')).toBe('h100-pool');
    expect(await openai.json()).toMatchObject({ error: { code: 'stub_fault', param: null } });
    const anthropic = await stub.post('/v1/messages', requestOf('/v1/messages', 'hi'));
    expect(anthropic.status).toBe(429);
    expect(await anthropic.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    expect((await stub.state()).served).toEqual({ 429: 2 });
  });

  it('x-stub-status fails one request, or (200) exempts it from every fault', async () => {
    const healthy = await startStub({ pool: 'l4-pool' });
    expect((await healthy.post(PATH, CHAT('hi'), { 'x-stub-status': '500' })).status).toBe(500);
    expect((await healthy.post(PATH, CHAT('hi'))).status).toBe(200);
    const failing = await startStub({ pool: 'l4-pool', errorRate: 1, mode: 'hang' });
    expect((await failing.post(PATH, CHAT('hi'), { 'x-stub-status': '200' })).status).toBe(200);
  });

  it.each([
    ['x-stub-status', '302'],
    ['x-stub-status', 'teapot'],
    ['x-stub-ttft-ms', '-5'],
    ['x-stub-tokens', '1.5'],
  ])('a malformed %s (%s) is a 400 naming it', async (name, value) => {
    const stub = await startStub({ pool: 'l4-pool' });
    const res = await stub.post(PATH, CHAT('hi'), { [name]: value });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('invalid_stub_header');
    expect(body.error.message).toContain(name);
  });

  it('failAfter lets that many requests through, then fails the rest; a settings change restarts the count', async () => {
    const stub = await startStub({ pool: 'l4-pool', failAfter: 2 });
    expect(await statuses(stub, 4)).toEqual([200, 200, 503, 503]);
    await stub.fault({ failAfter: 1, errorStatus: 500 });
    expect(await statuses(stub, 3)).toEqual([200, 500, 500]);
  });

  it('a pool starts failing and recovers at runtime, without a restart', async () => {
    const stub = await startStub({ pool: 'l4-pool' });
    expect(await statuses(stub, 2)).toEqual([200, 200]);

    const failing = await stub.fault({ errorRate: 1, errorStatus: 502 });
    expect(failing.status).toBe(200);
    expect(((await failing.json()) as { settings: unknown }).settings).toMatchObject({
      errorRate: 1,
      errorStatus: 502,
      mode: 'status',
    });
    expect(await statuses(stub, 2)).toEqual([502, 502]);
    expect((await stub.state()).settings).toMatchObject({ errorRate: 1, errorStatus: 502 });

    await stub.fault({ errorRate: 0 });
    expect(await statuses(stub, 2)).toEqual([200, 200]);
    expect((await stub.state()).served).toEqual({ 200: 4, 502: 2 });
  });

  it('DELETE /stub/fault restores the settings the stub started with', async () => {
    const stub = await startStub({ pool: 'l4-pool', errorRate: 1, errorStatus: 500, ttftMs: 5 });
    await stub.fault({ errorRate: 0, ttftMs: 0, mode: 'hang' });
    const res = await stub.fault(undefined, 'DELETE');
    expect(((await res.json()) as { settings: unknown }).settings).toEqual({
      ttftMs: 5,
      tokensPerSecond: 0,
      completionTokens: 0,
      errorRate: 1,
      errorStatus: 500,
      mode: 'status',
      failAfter: null,
    });
    expect(await statuses(stub, 1)).toEqual([500]);
  });

  it.each([
    [{ errorRate: 2 }, 'errorRate'],
    [{ errorStatus: 200 }, 'errorStatus'],
    [{ mode: 'explode' }, 'mode'],
    [{ ttftMs: -1 }, 'ttftMs'],
    [{ errorRat: 1 }, 'errorRat'],
  ])('POST /stub/fault rejects %j and changes nothing', async (patch, field) => {
    const stub = await startStub({ pool: 'l4-pool' });
    const res = await stub.fault(patch);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(field);
    expect((await stub.state()).settings).toMatchObject({ errorRate: 0, errorStatus: 503, mode: 'status' });
  });

  it('mode reset sends part of a JSON answer, then destroys the socket', async () => {
    const stub = await startStub({ pool: 'l4-pool', completionTokens: 200 });
    await stub.fault({ errorRate: 1, mode: 'reset' });
    const res = await stub.post(PATH, CHAT('hi'));
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    await waitFor(stub.state, (s) => s.served.reset === 1);
  });

  it('mode reset cuts an SSE stream mid-frame after some frames arrived', async () => {
    const stub = await startStub({ pool: 'l4-pool', completionTokens: 200, errorRate: 1, mode: 'reset' });
    const res = await stub.post(PATH, CHAT('hi', { stream: true }));
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body?.getReader();
    let received = '';
    const decoder = new TextDecoder();
    await expect(
      (async () => {
        for (;;) {
          const { done, value } = (await reader?.read()) ?? { done: true, value: undefined };
          if (done) return;
          received += decoder.decode(value, { stream: true });
        }
      })(),
    ).rejects.toThrow();
    expect(received).toContain('data: {');
    expect(received).not.toContain('[DONE]');
    // The stream's own reader refuses a stream that did not end on a frame boundary.
    await expect(readSse(new Response(received), 0)).rejects.toThrow(/mid-frame/);
  });

  it('mode hang never answers: the request holds its slot until the client gives up', async () => {
    const stub = await startStub({ pool: 'l4-pool', maxConcurrency: 4 });
    await stub.fault({ errorRate: 1, mode: 'hang' });
    const client = new AbortController();
    const t0 = performance.now();
    const pending = stub.post(PATH, CHAT('hi'), {}, client.signal);
    await waitFor(stub.state, (s) => s.running === 1);
    setTimeout(() => client.abort(), 200);
    await expect(pending).rejects.toThrow();
    // Nothing came back before the client gave up.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(150);
    const after = await waitFor(stub.state, (s) => s.running === 0);
    expect(after.served).toEqual({ aborted: 1 });
    // Recovered: the next request is answered.
    await stub.fault({ errorRate: 0 });
    expect((await stub.post(PATH, CHAT('hi'))).status).toBe(200);
  });
});
