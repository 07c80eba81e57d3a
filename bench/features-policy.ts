// The "every feature on" variant of a policy, for `npm run bench`: the same routing, plus load-aware pool choice
// (live pool state), rate limits that never refuse (counted and charged on every request), and a response cache on
// every decision whose lookups always miss (it stores nothing: `max_entry_bytes: 1`), so the bench measures the
// cost of the lookup path, not the savings of hits. The response stage reads every answer in both.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Document, parseDocument } from 'yaml';

const HUGE = 1_000_000_000;

const RATE_LIMITS = {
  limits: [
    { name: 'tenant-requests', key: 'tenant', requests_per_window: HUGE, window_seconds: 60 },
    { name: 'tenant-tokens', key: 'tenant', tokens_per_window: HUGE, window_seconds: 3600 },
    { name: 'tenant-in-flight', key: 'tenant', max_concurrent: HUGE },
  ],
};

const MISSING_CACHE = {
  type: 'response_cache',
  configuration: { mode: 'exact_then_semantic', max_entry_bytes: 1 },
};

/** Writes the variant of `policyFile` to a temporary directory and returns its path. */
export function writeFeaturesPolicy(policyFile: string): string {
  const document = parseDocument(readFileSync(policyFile, 'utf8'));
  const capacity: Record<string, number> = {};
  for (const pool of (document.get('pools') as { toJSON(): { name: string }[] } | undefined)?.toJSON() ?? [])
    capacity[pool.name] = 64;
  document.set('pool_selection', { strategy: 'least_loaded', least_loaded: { capacity } });
  document.set('rate_limits', RATE_LIMITS);
  const decisions = document.getIn(['routing', 'decisions']) as { toJSON(): unknown[] } | undefined;
  const count = decisions?.toJSON().length ?? 0;
  for (let i = 0; i < count; i++) {
    const plugins = document.getIn(['routing', 'decisions', i, 'plugins']) as
      | { toJSON(): unknown[] }
      | undefined;
    document.setIn(['routing', 'decisions', i, 'plugins'], [...(plugins?.toJSON() ?? []), MISSING_CACHE]);
  }
  return writePolicyVariant(policyFile, 'features', document);
}

/** Writes a variant of `policyFile` (same file name) to a new temporary directory and returns its path. */
export function writePolicyVariant(policyFile: string, variant: string, document: Document): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), `bench-${variant}-`)), path.basename(policyFile));
  writeFileSync(file, document.toString());
  return file;
}
