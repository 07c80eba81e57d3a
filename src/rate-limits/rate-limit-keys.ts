// The key a request is counted under for each key source. API keys are reduced to a digest at once: the raw key
// is never stored, logged or used as a label.
import { hash } from 'node:crypto';
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
  return hash('sha256', rawKey, 'hex').slice(0, 32);
}

/**
 * The digest of each request's API key header, by the request's headers map: admission and the Envoy metadata
 * hash it once per request. Held no longer than the map (which holds the raw value anyway); no raw key is kept
 * across requests. The raw value is compared on reuse, so a changed header is hashed again.
 */
const digestsByRequest = new WeakMap<
  ReadonlyMap<string, string>,
  { readonly value: string; readonly digest: string }
>();

function headerKey(value: string | undefined): string | undefined {
  const key = value?.trim();
  return key && key.length <= MAX_KEY_CHARS ? key : undefined;
}

function apiKeyOf(requestHeaders: ReadonlyMap<string, string>, header: string): string | undefined {
  const value = requestHeaders.get(header);
  if (value === undefined) return undefined;
  const known = digestsByRequest.get(requestHeaders);
  if (known?.value === value) return known.digest;
  const raw = value.trim().replace(/^bearer\s+/i, '');
  if (!raw) return undefined;
  const digest = apiKeyDigest(raw);
  digestsByRequest.set(requestHeaders, { value, digest });
  return digest;
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
    api_key: apiKeyOf(requestHeaders, headers.apiKeyHeader),
    identity: identity?.userId,
  };
}
