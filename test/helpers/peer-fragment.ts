// The peer's per-feature fragments (../shared/vsr-config/fragments), read in place and wrapped in a minimal policy.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

export const PEER_FRAGMENTS = path.resolve('../shared/vsr-config/fragments');

/** The rules a signal fragment (`fragments/signal/...`) declares under `routing.signals.<family>`. */
export function peerSignalRules<R extends { readonly name: string }>(fragment: string, family: string): R[] {
  const doc = YAML.parse(readFileSync(path.join(PEER_FRAGMENTS, fragment), 'utf8')) as {
    routing: { signals: Record<string, R[]> };
  };
  return doc.routing.signals[family] ?? [];
}

/** A one-model policy with `rules` under `routing.signals.<family>` and the given decisions, as YAML. */
export function signalRulesPolicy(
  family: string,
  rules: readonly unknown[],
  decisions: readonly unknown[],
): string {
  return YAML.stringify({
    version: 'v1',
    default_model: 'm',
    pools: [{ name: 'p', max_context_tokens: 32768 }],
    models: [{ name: 'm', pools: ['p'] }],
    routing: { signals: { [family]: rules }, decisions },
  });
}
