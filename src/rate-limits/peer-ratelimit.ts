// The peer's `global.services.ratelimit` (v0.3 files) is not translated: its `local-limiter` rules match one user,
// group or model and count per user × model in fixed windows, which `rate_limits` does not express one to one, so
// a v0.3 file is told once what to write instead rather than getting limits that differ silently.
import type { IssueCollector } from '../policy/issues.ts';

const PATH = ['global', 'services', 'ratelimit'] as const;

function providersOf(node: Record<string, unknown>): Record<string, unknown>[] {
  const providers = node.providers;
  if (!Array.isArray(providers)) return [];
  return providers.filter((p): p is Record<string, unknown> => typeof p === 'object' && p !== null);
}

/** What the peer's section asks for, in words (no user names or addresses: warnings are logged). */
function describe(providers: readonly Record<string, unknown>[]): string {
  return providers
    .map((provider) => {
      const rules = Array.isArray(provider.rules) ? provider.rules.length : 0;
      return provider.type === 'local-limiter'
        ? `local-limiter (${rules} rule${rules === 1 ? '' : 's'})`
        : `'${String(provider.type)}' provider`;
    })
    .join(', ');
}

export function reportPeerRateLimit(raw: Record<string, unknown>, issues: IssueCollector): void {
  let node: unknown = raw;
  for (const key of PATH)
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
  if (typeof node !== 'object' || node === null) return;
  const providers = providersOf(node as Record<string, unknown>);
  if (providers.length === 0) return;
  issues.warning(
    [...PATH],
    `global.services.ratelimit is not applied by this router: ${describe(providers)} accepted without effect`,
    "write a policy `rate_limits` section (docs/rate-limits.md): `key: identity` for per-user limits, `models: [...]` for match.model, `requests_per_window` / `tokens_per_window` with `window_seconds` for *_per_unit and unit; for envoy-ratelimit, Envoy's ratelimit filter reads the router's `rate_limit_*` dynamic metadata",
  );
}
