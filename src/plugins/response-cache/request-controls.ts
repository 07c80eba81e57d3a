// What the client asked of the cache for this request: `Cache-Control` (and the policy's own control header)
// directives `no-cache` (do not answer from the cache, still store), `no-store` / `bypass` (neither),
// `max-age=N` (only entries at most N seconds old) and `ttl=N` (keep this answer N seconds).
import type { ResponseCacheConfig } from './cache-config.ts';

export interface RequestControls {
  readonly lookup: boolean;
  readonly store: boolean;
  readonly maxAgeSeconds?: number;
  readonly ttlSeconds: number;
}

function directives(value: string | undefined): Map<string, string | undefined> {
  const found = new Map<string, string | undefined>();
  for (const part of (value ?? '').split(',')) {
    const [name, arg] = part.split('=', 2).map((s) => s.trim().toLowerCase());
    if (name) found.set(name, arg);
  }
  return found;
}

function seconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

export function requestControlsOf(
  headers: ReadonlyMap<string, string>,
  config: ResponseCacheConfig,
): RequestControls {
  const controls = config.request_controls;
  const base = { lookup: true, store: true, ttlSeconds: config.ttl_seconds };
  if (!controls.enabled) return base;
  const standard = headers.get('cache-control');
  const own = headers.get(controls.header);
  // Most requests ask nothing of the cache.
  if (standard === undefined && own === undefined) return base;
  const allowed = new Set<string>(controls.allowed);
  const asked = directives([standard, own].filter((v) => v !== undefined).join(','));
  const has = (name: string) => allowed.has(name) && asked.has(name);
  const bypass = has('no-store') || has('bypass');
  const maxAge = allowed.has('max-age') ? seconds(asked.get('max-age')) : undefined;
  const askedTtl = allowed.has('ttl') ? seconds(asked.get('ttl')) : undefined;
  const ttlCap = controls.max_ttl_seconds ?? config.ttl_seconds;
  return {
    lookup: !bypass && !has('no-cache') && maxAge !== 0,
    store: !bypass,
    ...(maxAge !== undefined && { maxAgeSeconds: maxAge }),
    ttlSeconds: askedTtl !== undefined && askedTtl > 0 ? Math.min(askedTtl, ttlCap) : config.ttl_seconds,
  };
}
