// Which requests a limit counts: keys from headers (API keys only as digests) or the trusted identity, limits
// scoped to a model or decision, the keys as Envoy dynamic metadata, and clear errors for a wrong section.
import { afterEach, describe, expect, it } from 'vitest';
import type { ContinueResult } from '../../../src/mutations.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import { apiKeyDigest } from '../../../src/rate-limits/rate-limit-keys.ts';
import { type Harness, harness, isLimited, jsonOf, rateLimitPolicy, send } from './rate-limit-fixture.ts';

let h: Harness | undefined;
afterEach(() => h?.close());

const KEY_A = 'sk-test-aaaaaaaaaaaaaaaaaaaa';
const KEY_B = 'sk-test-bbbbbbbbbbbbbbbbbbbb';
const NAMESPACE = 'io.envoy.semantic_router';

function routingMetadata(result: ContinueResult | { kind: string }): Record<string, unknown> {
  return ((result as ContinueResult).dynamicMetadata?.[NAMESPACE] ?? {}) as Record<string, unknown>;
}

describe('keys', () => {
  it('counts API keys apart, with or without the Bearer prefix, and keeps only their digest', async () => {
    h = await harness(
      rateLimitPolicy('    - { name: per-key, key: api_key, requests_per_window: 1, window_seconds: 60 }'),
    );
    const first = await send(h.router, { headers: { authorization: `Bearer ${KEY_A}` } });
    expect(first.result.kind).toBe('continue');
    expect((await send(h.router, { headers: { authorization: `Bearer ${KEY_B}` } })).result.kind).toBe(
      'continue',
    );
    const again = (await send(h.router, { headers: { authorization: KEY_A } })).result;
    expect(isLimited(again)).toBe(true);
    expect(JSON.stringify(jsonOf(again))).not.toContain(KEY_A);
    const metadata = routingMetadata(first.result);
    expect(metadata.rate_limit_api_key).toBe(apiKeyDigest(KEY_A));
    expect(JSON.stringify(metadata)).not.toContain(KEY_A);
  });

  it('puts tenant and user into the dynamic metadata Envoy descriptors read, beside model and decision', async () => {
    h = await harness(
      rateLimitPolicy('    - { name: per-user, key: user, requests_per_window: 5, window_seconds: 60 }'),
    );
    const { result } = await send(h.router, {
      headers: { 'x-tenant-id': 'acme', 'x-user-id': 'u-17' },
      text: 'an integral please',
    });
    expect(routingMetadata(result)).toMatchObject({
      rate_limit_tenant: 'acme',
      rate_limit_user: 'u-17',
      decision: 'math',
      model: 'big',
      pool: 'h100-pool',
    });
  });

  it('keys on the trusted identity, never on a client-sent identity header', async () => {
    h = await harness(
      rateLimitPolicy(
        '    - { name: per-caller, key: identity, requests_per_window: 1, window_seconds: 60, missing_key: skip }',
      ),
    );
    // identity.source defaults to none: the client's x-authz-user-id is ignored, so the limit never applies.
    for (let i = 0; i < 3; i++)
      expect((await send(h.router, { headers: { 'x-authz-user-id': 'mallory' } })).result.kind).toBe(
        'continue',
      );
  });
});

describe('scope', () => {
  it('counts only requests routed to the limited model', async () => {
    h = await harness(
      rateLimitPolicy(
        '    - { name: big-model, key: tenant, models: [big], requests_per_window: 1, window_seconds: 60 }',
      ),
    );
    const headers = { 'x-tenant-id': 'acme' };
    for (let i = 0; i < 3; i++) expect((await send(h.router, { headers })).result.kind).toBe('continue');
    expect((await send(h.router, { headers, model: 'big' })).result.kind).toBe('continue');
    expect(isLimited((await send(h.router, { headers, model: 'big' })).result)).toBe(true);
    expect((await send(h.router, { headers, model: 'small' })).result.kind).toBe('continue');
  });

  it('counts only requests of the limited decision, and a refused one gives back the unscoped charges', async () => {
    h = await harness(
      rateLimitPolicy(
        [
          '    - { name: math-decision, key: tenant, decisions: [math], requests_per_window: 1, window_seconds: 60 }',
          '    - { name: all-requests, key: tenant, requests_per_window: 4, window_seconds: 60 }',
        ].join('\n'),
      ),
    );
    const headers = { 'x-tenant-id': 'acme' };
    const math = { headers, text: 'solve this integral' };
    expect((await send(h.router, math)).result.kind).toBe('continue');
    const refused = (await send(h.router, math)).result;
    expect(jsonOf(refused)).toMatchObject({ error: { message: expect.stringContaining("'math-decision'") } });
    expect(isLimited((await send(h.router, math)).result)).toBe(true);
    // Two refused math requests did not use up all-requests: three more plain requests fit (1 + 3 = 4).
    for (let i = 0; i < 3; i++) expect((await send(h.router, { headers })).result.kind).toBe('continue');
    expect(isLimited((await send(h.router, { headers })).result)).toBe(true);
  });
});

describe('policy load', () => {
  const load = (limits: string) => compilePolicyText(rateLimitPolicy(limits), 'rate-limits.yaml');

  it.each([
    [
      '    - { name: nothing, key: tenant }',
      'needs requests_per_window, tokens_per_window or max_concurrent',
    ],
    ['    - { name: no-window, key: tenant, requests_per_window: 5 }', 'need window_seconds'],
    [
      '    - { name: bad, key: org, max_concurrent: 1 }',
      'key must be one of tenant, user, api_key, identity',
    ],
    ['    - { name: ghost, key: tenant, models: [gpt-9], max_concurrent: 1 }', "names model 'gpt-9'"],
    ['    - { name: ghost, key: tenant, decisions: [coding], max_concurrent: 1 }', "names decision 'coding'"],
    [
      '    - { name: twice, key: tenant, max_concurrent: 1 }\n    - { name: twice, key: user, max_concurrent: 1 }',
      'rate limit names must differ',
    ],
  ])('refuses %s', async (limits, message) => {
    await expect(load(limits)).rejects.toThrow(message);
  });
});
