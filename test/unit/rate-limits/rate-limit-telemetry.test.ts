// A refused request shows in router_rate_limited_total by limit name and reason (never the key), and spans name the
// limits a request was counted against or refused by.
import { afterEach, describe, expect, it } from 'vitest';
import { StreamProcessor } from '../../../src/server/stream-processor.ts';
import type { Telemetry } from '../../../src/telemetry/telemetry.ts';
import { testTelemetry } from '../telemetry/telemetry-helpers.ts';
import { type Harness, harness, rateLimitPolicy } from './rate-limit-fixture.ts';

let h: Harness | undefined;
afterEach(() => h?.close());

async function request(router: Harness['router'], telemetry: Telemetry, apiKey: string) {
  const stream = new StreamProcessor(router, {
    maxBodyBytes: 1 << 20,
    failOpen: false,
    onUnexpectedError: () => {},
    telemetry: telemetry.startStream(),
  });
  stream.onRequestHeaders(
    new Map([
      [':method', 'POST'],
      [':path', '/v1/chat/completions'],
      ['authorization', `Bearer ${apiKey}`],
    ]),
    false,
  );
  await stream.onRequestBody(
    Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] })),
    true,
  );
  stream.release();
}

describe('rate limit telemetry', () => {
  it('counts refusals by limit and reason, and names the limits on the request span', async () => {
    h = await harness(
      rateLimitPolicy('    - { name: per-key, key: api_key, requests_per_window: 1, window_seconds: 60 }'),
    );
    const { telemetry, prometheusText, spans } = testTelemetry();
    const key = 'sk-secret-key-0123456789';
    for (let i = 0; i < 3; i++) await request(h.router, telemetry, key);
    const text = await prometheusText();
    expect(text).toContain('router_rate_limited_total{limit="per-key",reason="requests"} 2');
    expect(text).toContain('router_errors_total{reason="rate_limit_exceeded"} 2');
    expect(text).not.toContain(key);
    const attributes = spans.getFinishedSpans().map((span) => span.attributes);
    expect(attributes.filter((a) => a['router.rate_limit.reason'] === 'requests')).toHaveLength(2);
    expect(attributes.some((a) => JSON.stringify(a['router.rate_limit']) === '["per-key"]')).toBe(true);
    expect(JSON.stringify(attributes)).not.toContain(key);
  });
});
