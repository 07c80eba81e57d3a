// The response stage's reading of one answer: usage, timing, cost, how the body was read, what counts against a pool.
import { describe, expect, it } from 'vitest';
import { ResponseTracker, type ResponseTrackerOptions } from '../../../src/response/response-tracker.ts';

function tracker(options: Partial<ResponseTrackerOptions> = {}, clock = { now: 0 }) {
  return new ResponseTracker({
    api: 'chat_completions',
    stripUsageFrame: false,
    now: () => clock.now,
    startedAt: 0,
    cost: { basis: 'tokens', pricing: { prompt_per_1m: 1, completion_per_1m: 4 } },
    ...options,
  });
}

const frame = (data: unknown) => Buffer.from(`data: ${JSON.stringify(data)}\n\n`);
const delta = (content: string) =>
  frame({
    id: 'c',
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
  });
const usageFrame = frame({
  id: 'c',
  object: 'chat.completion.chunk',
  choices: [],
  usage: { prompt_tokens: 1000, completion_tokens: 3, total_tokens: 1003 },
});

describe('ResponseTracker', () => {
  it('reads a JSON answer’s usage and prices it', () => {
    const clock = { now: 0 };
    const t = tracker({}, clock);
    expect(t.headers(200, 'application/json', undefined)).toBe(false);
    clock.now = 250;
    t.body(Buffer.from(JSON.stringify({ usage: { prompt_tokens: 1000, completion_tokens: 500 } })), true);
    expect(t.finished).toMatchObject({
      status: 200,
      statusClass: '2xx',
      body: 'parsed',
      complete: true,
      latencyMs: 250,
      usage: { promptTokens: 1000, completionTokens: 500 },
      cost: (1000 * 1 + 500 * 4) / 1e6,
      poolFailed: false,
    });
  });

  it('times a streamed answer and strips the usage frame it asked for, forwarding the rest as sent', () => {
    const clock = { now: 0 };
    const t = tracker({ stripUsageFrame: true }, clock);
    expect(t.headers(200, 'text/event-stream', undefined)).toBe(true);
    const chunks = [
      delta('Hel'),
      Buffer.concat([delta('lo'), delta('!')]),
      Buffer.concat([usageFrame, Buffer.from('data: [DONE]\n\n')]),
    ];
    const replacements = [100, 140, 150].map((now, i) => {
      clock.now = now;
      return t.body(chunks[i] as Buffer, i === chunks.length - 1);
    });
    // Chunks without the usage frame go on as Envoy sent them: no body mutation.
    expect(replacements.slice(0, 2)).toEqual([undefined, undefined]);
    const forwarded = Buffer.concat(
      replacements.map((replacement, i) => Buffer.from(replacement ?? (chunks[i] as Buffer))),
    ).toString('utf8');
    expect(forwarded).toBe(
      Buffer.concat([delta('Hel'), delta('lo'), delta('!'), Buffer.from('data: [DONE]\n\n')]).toString(
        'utf8',
      ),
    );
    const summary = t.finished;
    expect(summary).toMatchObject({ streaming: true, ttftMs: 100, usage: { completionTokens: 3 } });
    expect(summary?.tpotMs).toBeCloseTo((140 - 100) / 2, 6);
  });

  it('passes compressed and oversized bodies through unread, and says so', () => {
    const gzip = tracker();
    gzip.headers(200, 'application/json', 'gzip');
    gzip.body(Buffer.from([0x1f, 0x8b, 1, 2]), true);
    expect(gzip.finished).toMatchObject({ body: 'encoded', usage: undefined });
    const big = tracker();
    big.headers(200, 'application/json', undefined);
    big.body(Buffer.alloc(3 * 1024 * 1024, 0x20), true);
    expect(big.finished).toMatchObject({ body: 'too_large' });
  });

  it('counts a 5xx against the pool, a 4xx and a broken-off stream not', () => {
    const failed = tracker();
    failed.headers(503, 'application/json', undefined);
    failed.body(Buffer.from('{"error":{"message":"overloaded","type":"server_error"}}'), true);
    expect(failed.finished).toMatchObject({
      poolFailed: true,
      statusClass: '5xx',
      error: { type: 'server_error' },
    });
    const refused = tracker();
    refused.headers(400, 'application/json', undefined);
    refused.body(Buffer.from('{}'), true);
    expect(refused.finished?.poolFailed).toBe(false);
    const cancelled = tracker();
    expect(cancelled.finish(false)).toMatchObject({
      statusClass: 'reset',
      poolFailed: false,
      complete: false,
    });
  });

  it('prices GPU time when the policy prefers it', () => {
    const clock = { now: 0 };
    const t = tracker({ cost: { basis: 'gpu_time', costPerHour: 3.6 } }, clock);
    t.headers(200, 'application/json', undefined);
    clock.now = 2000;
    t.body(Buffer.from('{}'), true);
    expect(t.finished?.cost).toBeCloseTo(0.002, 9);
  });
});
