// Timing knobs: time to first token (option and x-stub-ttft-ms), decode speed for SSE and JSON. Only lower bounds
// are asserted, each well below the configured delay, so a slow machine cannot fail them.
import { afterEach, describe, expect, it } from 'vitest';
import { closeStubs, requestOf, startStub, streamedDeltas, words } from './helpers.ts';
import { readSse } from './sse-reader.ts';

afterEach(closeStubs);

const CHAT = '/v1/chat/completions';

describe('stub timing', () => {
  it.each([false, true])('ttftMs 200 delays the headers and first frame (stream: %s)', async (stream) => {
    const stub = await startStub({ pool: 'l4-pool', ttftMs: 200 });
    const t0 = performance.now();
    const res = await stub.post(CHAT, requestOf(CHAT, 'hi', { stream }));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(150);
    if (stream) expect((await readSse(res, t0))[0]?.at).toBeGreaterThanOrEqual(150);
    else expect(res.status).toBe(200);
  });

  it('x-stub-ttft-ms sets the delay of one request, both ways', async () => {
    const slow = await startStub({ pool: 'l4-pool', ttftMs: 3_600_000 });
    // Overridden down: the hour-long default would time the test out.
    expect((await slow.post(CHAT, requestOf(CHAT, 'hi'), { 'x-stub-ttft-ms': '0' })).status).toBe(200);
    const fast = await startStub({ pool: 'l4-pool' });
    const t0 = performance.now();
    await fast.post(CHAT, requestOf(CHAT, 'hi'), { 'x-stub-ttft-ms': '200' });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(150);
  });

  it.each(['/v1/chat/completions', '/v1/responses', '/v1/messages'])(
    '%s SSE: deltas are paced at tokensPerSecond',
    async (path) => {
      // 80 tokens at 400/s: the last is ready (80 - 1) / 400 s = 197.5 ms after the first.
      const stub = await startStub({ pool: 'l4-pool', completionTokens: 80, tokensPerSecond: 400 });
      const t0 = performance.now();
      const frames = await readSse(await stub.post(path, requestOf(path, 'hi', { stream: true })), t0);
      const deltaFrames = frames.filter((f) => streamedDeltas(path, [f]).length > 0);
      expect(words(streamedDeltas(path, frames).join(''))).toBe(80);
      expect(deltaFrames.length).toBeGreaterThan(3);
      expect(deltaFrames.at(-1)?.at).toBeGreaterThanOrEqual(150);
    },
  );

  it('JSON: the answer comes when the last token is ready (ttft + decode time)', async () => {
    const stub = await startStub({ pool: 'l4-pool', ttftMs: 50, completionTokens: 80, tokensPerSecond: 400 });
    const t0 = performance.now();
    const res = await stub.post(CHAT, requestOf(CHAT, 'hi'));
    await res.json();
    // 50 ms + 197.5 ms.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(200);
  });

  it('runtime ttftMs from /stub/fault applies to later requests', async () => {
    const stub = await startStub({ pool: 'l4-pool' });
    expect((await stub.fault({ ttftMs: 200 })).status).toBe(200);
    const t0 = performance.now();
    await stub.post(CHAT, requestOf(CHAT, 'hi'));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(150);
  });
});
