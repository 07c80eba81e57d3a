// The names the compiler needs from the kb family (which knowledge bases rules read, the match names projections
// look up) without importing the family itself: its embedders and models load only for a policy with kb rules.
import type { KbRule } from './kb.ts';
import type { SignalRule } from './signal-family.ts';

/** Names of the knowledge bases some rule reads: the ones whose metrics the family reports. */
export function knowledgeBasesReadBy(rules: readonly SignalRule[] | undefined): Set<string> {
  return new Set((rules as readonly Partial<KbRule>[] | undefined)?.flatMap((r) => (r.kb ? [r.kb] : [])));
}

/** Name of the match that carries a knowledge base's metric (lower case, as projections look it up). */
export function kbMetricMatchName(kb: string, metric: string): string {
  return `kb_metric:${kb}:${metric}`.toLowerCase();
}
