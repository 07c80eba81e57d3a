// The key a request is counted under for each key source. API keys are reduced to a digest at once: the raw key
// is never stored, logged or used as a label.
import { createHash } from 'node:crypto';
import type { CallerIdentity } from '../request/identity.ts';
import type { RateLimitKeySource } from './rate-limit-schema.ts';

export interface RateLimitKeyHeaders {
  /** Lower-case header names. */
  readonly tenantHeader: string;
  readonly userHeader: string;
  readonly apiKeyHeader: string;
}

/** Bounds what one request can make the limiter hold per key. */
const MAX_KEY_CHARS = 256;

/** SHA-256 of the key, hex, first 32 characters (128 bits: no collisions in practice, short in metadata). */
export function apiKeyDigest(rawKey: string): string {
  return createHash('sha256').update(rawKey).digest('hex').slice(0, 32);
}

function headerKey(value: string | undefined): string | undefined {
  const key = value?.trim();
  return key && key.length <= MAX_KEY_CHARS ? key : undefined;
}

function apiKeyOf(value: string | undefined): string | undefined {
  const raw = value?.trim().replace(/^bearer\s+/i, '');
  return raw ? apiKeyDigest(raw) : undefined;
}

/** The request's keys by source (each computed once per request, the api key hashed). */
export function requestKeys(
  headers: RateLimitKeyHeaders,
  requestHeaders: ReadonlyMap<string, string>,
  identity: CallerIdentity | undefined,
): Readonly<Record<RateLimitKeySource, string | undefined>> {
  return {
    tenant: headerKey(requestHeaders.get(headers.tenantHeader)),
    user: headerKey(requestHeaders.get(headers.userHeader)),
    api_key: apiKeyOf(requestHeaders.get(headers.apiKeyHeader)),
    identity: identity?.userId,
  };
}
