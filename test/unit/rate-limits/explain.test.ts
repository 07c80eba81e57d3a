// `explain` names the rate limits a request is counted against: scoped limits only where routing sends it, and
// whether it carries the key (never the key itself).
import { afterEach, describe, expect, it } from 'vitest';
import { explainRequest, formatExplanation } from '../../../src/cli/explain.ts';
import { type Harness, harness, rateLimitPolicy } from './rate-limit-fixture.ts';

let h: Harness | undefined;
afterEach(() => h?.close());

const body = (content: string) =>
  Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content }] }));

describe('explain with rate limits', () => {
  it('lists the limits that apply, by scope, with the kind of key', async () => {
    h = await harness(
      rateLimitPolicy(
        [
          '    - { name: tenant-requests, key: tenant, requests_per_window: 60, window_seconds: 60 }',
          '    - { name: math-tokens, key: api_key, decisions: [math], tokens_per_window: 5000, window_seconds: 3600 }',
          '    - { name: small-slots, key: tenant, models: [small], max_concurrent: 4 }',
        ].join('\n'),
      ),
    );
    const headers = new Map([
      ['x-tenant-id', 'acme'],
      ['authorization', 'Bearer sk-explain-secret'],
    ]);
    const math = await explainRequest(h.policy, 'p.yaml', body('an integral'), headers);
    expect(math.rateLimits?.map((l) => l.name)).toEqual(['tenant-requests', 'math-tokens']);
    const plain = await explainRequest(h.policy, 'p.yaml', body('hello'), new Map());
    expect(plain.rateLimits).toEqual([
      { name: 'tenant-requests', key: 'tenant', counted: 'anonymous', budgets: ['60 requests/60s'] },
      { name: 'small-slots', key: 'tenant', counted: 'anonymous', budgets: ['4 concurrent'] },
    ]);
    const text = formatExplanation(math);
    expect(text).toContain('limit    math-tokens per api_key: 5000 tokens/3600s');
    expect(text).not.toContain('sk-explain-secret');
  });
});
