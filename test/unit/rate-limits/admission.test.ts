// Rate limits through the router's stream processor: exact counts under concurrency, token charges corrected by
// usage, concurrency slots freed however a stream ends, and the 429 answer each API's clients expect.
import { afterEach, describe, expect, it } from 'vitest';
import {
  answer,
  type Harness,
  harness,
  headerOf,
  isLimited,
  jsonOf,
  rateLimitPolicy,
  send,
} from './rate-limit-fixture.ts';

let h: Harness | undefined;
afterEach(() => h?.close());

const TENANT = { 'x-tenant-id': 'acme' };

describe('requests per window', () => {
  it('admits exactly the limit out of 64 concurrent requests, and the next window admits again', async () => {
    h = await harness(
      rateLimitPolicy('    - { name: per-tenant, key: tenant, requests_per_window: 10, window_seconds: 60 }'),
    );
    const router = h.router;
    const results = await Promise.all(Array.from({ length: 64 }, () => send(router, { headers: TENANT })));
    expect(results.filter((r) => r.result.kind === 'continue')).toHaveLength(10);
    expect(results.filter((r) => isLimited(r.result))).toHaveLength(54);
    h.advance(60_001);
    expect((await send(router, { headers: TENANT })).result.kind).toBe('continue');
  });

  it('says in Retry-After when the oldest request leaves the window', async () => {
    h = await harness(
      rateLimitPolicy('    - { name: per-tenant, key: tenant, requests_per_window: 2, window_seconds: 60 }'),
    );
    await send(h.router, { headers: TENANT });
    h.advance(20_000);
    await send(h.router, { headers: TENANT });
    h.advance(5_500);
    const refused = (await send(h.router, { headers: TENANT })).result;
    // The first request leaves the 60 s window 34.5 s from now: rounded up to whole seconds.
    expect(headerOf(refused, 'retry-after')).toBe('35');
    h.advance(34_500);
    expect((await send(h.router, { headers: TENANT })).result.kind).toBe('continue');
  });

  it('counts each tenant on its own, and requests without the header under one anonymous key', async () => {
    h = await harness(
      rateLimitPolicy('    - { name: per-tenant, key: tenant, requests_per_window: 1, window_seconds: 60 }'),
    );
    expect((await send(h.router, { headers: { 'x-tenant-id': 'a' } })).result.kind).toBe('continue');
    expect((await send(h.router, { headers: { 'x-tenant-id': 'b' } })).result.kind).toBe('continue');
    expect(isLimited((await send(h.router, { headers: { 'x-tenant-id': 'a' } })).result)).toBe(true);
    expect((await send(h.router)).result.kind).toBe('continue');
    expect(isLimited((await send(h.router)).result)).toBe(true);
  });

  it('leaves requests without the key alone with missing_key: skip, and reads the configured header', async () => {
    h = await harness(
      rateLimitPolicy(
        '    - { name: per-team, key: tenant, requests_per_window: 1, window_seconds: 60, missing_key: skip }',
        '  tenant_header: X-Team\n',
      ),
    );
    for (let i = 0; i < 3; i++)
      expect((await send(h.router, { headers: TENANT })).result.kind).toBe('continue');
    expect((await send(h.router, { headers: { 'x-team': 'red' } })).result.kind).toBe('continue');
    expect(isLimited((await send(h.router, { headers: { 'x-team': 'red' } })).result)).toBe(true);
  });
});

describe('tokens per window', () => {
  it('charges the prompt estimate up front and corrects it to the usage the answer reports', async () => {
    h = await harness(
      rateLimitPolicy(
        '    - { name: tenant-tokens, key: tenant, tokens_per_window: 100, window_seconds: 60 }',
      ),
    );
    const first = await send(h.router, { headers: TENANT });
    expect(first.result.kind).toBe('continue');
    // Before the answer only the small prompt estimate is charged: a second short request fits.
    const second = await send(h.router, { headers: TENANT });
    expect(second.result.kind).toBe('continue');
    await answer(second.stream, { prompt: 3, completion: 0 });
    // The answer used 100 tokens: the window is full.
    await answer(first.stream, { prompt: 5, completion: 95 });
    const refused = (await send(h.router, { headers: TENANT })).result;
    expect(isLimited(refused)).toBe(true);
    expect(jsonOf(refused)).toMatchObject({ error: { type: 'tokens', code: 'rate_limit_exceeded' } });
  });

  it('gives back an estimate larger than what the answer used', async () => {
    h = await harness(
      rateLimitPolicy(
        '    - { name: tenant-tokens, key: tenant, tokens_per_window: 100, window_seconds: 60 }',
      ),
    );
    const long = 'word '.repeat(60); // estimated well above half the budget
    const first = await send(h.router, { headers: TENANT, text: long });
    expect(first.result.kind).toBe('continue');
    expect(isLimited((await send(h.router, { headers: TENANT, text: long })).result)).toBe(true);
    await answer(first.stream, { prompt: 10, completion: 5 });
    expect((await send(h.router, { headers: TENANT, text: long })).result.kind).toBe('continue');
  });

  it('charges no tokens for a request the router answered itself', async () => {
    h = await harness(
      rateLimitPolicy(
        '    - { name: tenant-tokens, key: tenant, tokens_per_window: 100, window_seconds: 60 }',
      ),
    );
    const long = 'word '.repeat(60);
    const answered = await send(h.router, { headers: TENANT, text: `${long} opening hours?` });
    expect(answered.result).toMatchObject({ kind: 'immediate', status: 200 });
    answered.stream.release();
    expect((await send(h.router, { headers: TENANT, text: long })).result.kind).toBe('continue');
    expect(isLimited((await send(h.router, { headers: TENANT, text: long })).result)).toBe(true);
  });
});

describe('concurrent requests', () => {
  const policy = rateLimitPolicy('    - { name: tenant-slots, key: tenant, max_concurrent: 8 }');

  it('admits exactly max_concurrent of 64 concurrent streams', async () => {
    h = await harness(policy);
    const router = h.router;
    const results = await Promise.all(Array.from({ length: 64 }, () => send(router, { headers: TENANT })));
    expect(results.filter((r) => r.result.kind === 'continue')).toHaveLength(8);
    const refused = results.find((r) => isLimited(r.result));
    expect(refused && headerOf(refused.result, 'retry-after')).toBe('1');
  });

  it('frees a slot when the answer ends, when the upstream fails and when the client goes away', async () => {
    h = await harness(rateLimitPolicy('    - { name: tenant-slots, key: tenant, max_concurrent: 1 }'));
    const ended = await send(h.router, { headers: TENANT });
    expect(isLimited((await send(h.router, { headers: TENANT })).result)).toBe(true);
    await answer(ended.stream, { prompt: 1, completion: 1 });

    const failed = await send(h.router, { headers: TENANT });
    expect(failed.result.kind).toBe('continue');
    expect(isLimited((await send(h.router, { headers: TENANT })).result)).toBe(true);
    await failed.stream.onResponseHeaders(new Map([[':status', '503']]));
    await failed.stream.onResponseBody(Buffer.from('upstream down'), true);
    failed.stream.release(true);

    const cancelled = await send(h.router, { headers: TENANT });
    expect(cancelled.result.kind).toBe('continue');
    cancelled.stream.release(true);
    expect((await send(h.router, { headers: TENANT })).result.kind).toBe('continue');
  });

  it('does not hold a slot for a request the router refused for another reason', async () => {
    h = await harness(rateLimitPolicy('    - { name: tenant-slots, key: tenant, max_concurrent: 1 }'));
    const unknown = await send(h.router, { headers: TENANT, model: 'no-such-model' });
    expect(unknown.result.kind === 'immediate' && unknown.result.status).toBe(404);
    expect((await send(h.router, { headers: TENANT })).result.kind).toBe('continue');
  });
});

describe('the 429 answer', () => {
  const policy = rateLimitPolicy(
    '    - { name: per-tenant, key: tenant, requests_per_window: 1, window_seconds: 30 }',
  );

  it("is OpenAI's error shape on chat completions, naming the limit but not the key", async () => {
    h = await harness(policy);
    await send(h.router, { headers: TENANT });
    const refused = (await send(h.router, { headers: TENANT })).result;
    expect(refused).toMatchObject({ kind: 'immediate', status: 429 });
    const body = jsonOf(refused);
    expect(body).toEqual({
      error: {
        message: expect.stringContaining("'per-tenant'"),
        type: 'requests',
        code: 'rate_limit_exceeded',
        param: null,
      },
    });
    expect(JSON.stringify(body)).not.toContain('acme');
    expect(headerOf(refused, 'retry-after')).toBe('30');
    expect(headerOf(refused, 'x-router-error-code')).toBe('rate_limit_exceeded');
  });

  it("is Anthropic's error shape on the Messages API", async () => {
    h = await harness(policy);
    await send(h.router, { headers: TENANT, path: '/v1/messages' });
    const refused = (await send(h.router, { headers: TENANT, path: '/v1/messages' })).result;
    expect(refused).toMatchObject({ kind: 'immediate', status: 429 });
    expect(jsonOf(refused)).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    expect(headerOf(refused, 'retry-after')).toBe('30');
  });
});
