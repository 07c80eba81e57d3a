// Turns a query's label scores into what a knowledge base reports: the best label, the labels and groups past
// their thresholds, group scores (best label score in the group), metrics, and whether a kb rule matches.
import type { KnowledgeBaseDocument } from './knowledge-base-schema.ts';

export interface KnowledgeBaseResult {
  /** Label with the top score (ties: the alphabetically first), undefined without labels. */
  readonly bestLabel: string | undefined;
  readonly bestScore: number;
  readonly labelScores: ReadonlyMap<string, number>;
  /** Labels whose score reaches their threshold (label_thresholds, else the knowledge base's). */
  readonly matchedLabels: ReadonlySet<string>;
  /** Per group: the best score of its labels (0 for a group whose labels all score 0). */
  readonly groupScores: ReadonlyMap<string, number>;
  /** Metric name → value: every declared metric, plus `best_score` and `best_matched_score`. */
  readonly metrics: ReadonlyMap<string, number>;
}

export interface KbTarget {
  readonly kind: 'label' | 'group';
  readonly value: string;
}

export type KbMatchMode = 'best' | 'threshold';

export function thresholdOf(kb: KnowledgeBaseDocument, label: string): number {
  return kb.label_thresholds[label] ?? kb.threshold;
}

function bestOf(scores: ReadonlyMap<string, number>): [string | undefined, number] {
  let bestName: string | undefined;
  let bestScore = 0;
  for (const name of [...scores.keys()].sort()) {
    const score = scores.get(name) ?? 0;
    if (bestName === undefined || score > bestScore) {
      bestName = name;
      bestScore = score;
    }
  }
  return [bestName, bestScore];
}

export function summarise(
  kb: KnowledgeBaseDocument,
  labelScores: ReadonlyMap<string, number>,
): KnowledgeBaseResult {
  const [bestLabel, bestScore] = bestOf(labelScores);
  const matchedLabels = new Set([...labelScores].filter(([l, s]) => s >= thresholdOf(kb, l)).map(([l]) => l));
  const groupScores = new Map<string, number>();
  for (const [group, labels] of Object.entries(kb.groups))
    groupScores.set(group, Math.max(0, ...labels.map((l) => labelScores.get(l) ?? 0)));
  const [, bestMatchedScore] = bestOf(new Map([...labelScores].filter(([l]) => matchedLabels.has(l))));
  const metrics = new Map<string, number>([
    ['best_score', bestScore],
    ['best_matched_score', bestMatchedScore],
  ]);
  for (const metric of kb.metrics)
    metrics.set(
      metric.name,
      (groupScores.get(metric.positive_group) ?? 0) - (groupScores.get(metric.negative_group) ?? 0),
    );
  return { bestLabel, bestScore, labelScores, matchedLabels, groupScores, metrics };
}

/**
 * The confidence of a kb rule, or undefined when it does not match. `best`: the target label is the best label, or
 * the target group contains it, and that best label reaches its threshold (the peer applies no threshold here: with
 * the router's weaker similarity models a best label far below threshold is no evidence, e.g. "What is the capital
 * of France?" had `internal_document` best at 0.4 against 0.55); `threshold`: the label reaches its threshold, or
 * some label of the group does. Confidence = the label's score, or the group's.
 */
export function ruleConfidence(
  kb: KnowledgeBaseDocument,
  result: KnowledgeBaseResult,
  target: KbTarget,
  mode: KbMatchMode,
): number | undefined {
  const best = result.bestLabel;
  const confidentBest = best !== undefined && result.matchedLabels.has(best) ? best : undefined;
  if (target.kind === 'label') {
    const score = result.labelScores.get(target.value);
    if (score === undefined) return undefined;
    if (mode === 'best') return confidentBest === target.value ? score : undefined;
    return result.matchedLabels.has(target.value) ? score : undefined;
  }
  const labels = kb.groups[target.value] ?? [];
  const score = result.groupScores.get(target.value);
  if (score === undefined) return undefined;
  if (mode === 'best')
    return confidentBest !== undefined && labels.includes(confidentBest) ? score : undefined;
  return labels.some((l) => result.matchedLabels.has(l)) ? score : undefined;
}
