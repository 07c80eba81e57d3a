// API keys become digests once per request: the digest other replicas' counters are keyed by (SHA-256, hex, 128
// bits), and a header that changes on the same request is digested again, never answered with the old key's.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { apiKeyDigest, requestKeys } from '../../../src/rate-limits/rate-limit-keys.ts';

const HEADERS = { tenantHeader: 'x-tenant-id', userHeader: 'x-user-id', apiKeyHeader: 'authorization' };

describe('API key digests', () => {
  it('are the first 128 bits of the key’s SHA-256 in hex, with or without the Bearer prefix', () => {
    const key = 'sk-test-aaaaaaaaaaaaaaaaaaaa';
    const expected = createHash('sha256').update(key).digest('hex').slice(0, 32);
    expect(apiKeyDigest(key)).toBe(expected);
    for (const value of [`Bearer ${key}`, `bearer  ${key} `, key])
      expect(requestKeys(HEADERS, new Map([['authorization', value]]), undefined).api_key).toBe(expected);
  });

  it('follow the header when it changes on the same request', () => {
    const headers = new Map([['authorization', 'Bearer sk-first']]);
    expect(requestKeys(HEADERS, headers, undefined).api_key).toBe(apiKeyDigest('sk-first'));
    headers.set('authorization', 'Bearer sk-second');
    expect(requestKeys(HEADERS, headers, undefined).api_key).toBe(apiKeyDigest('sk-second'));
    headers.set('authorization', '   ');
    expect(requestKeys(HEADERS, headers, undefined).api_key).toBeUndefined();
    headers.delete('authorization');
    expect(requestKeys(HEADERS, headers, undefined).api_key).toBeUndefined();
  });
});
