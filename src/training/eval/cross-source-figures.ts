// Scores a classifier on its task's cross-source sets (sources it was not trained on): the figures that count.

import { DEFAULT_DOMAIN_THRESHOLD } from '../../signals/domains.ts';
import { type CrossSourceSet, meetsTarget } from '../datasets/cross-source.ts';
import { OFF_TOPIC_LABEL } from '../datasets/domain.ts';
import { domainCrossSourceSets } from '../datasets/domain-cross-source.ts';
import { unsafeProbability } from '../datasets/jailbreak.ts';
import { crossSourceSets as jailbreakCrossSourceSets } from '../datasets/jailbreak-cross-source.ts';
import type { TaskName } from '../datasets/types.ts';
import { argmax } from '../trainer/wide-mlp.ts';

export interface CrossSourceFigure {
  readonly name: string;
  readonly files: readonly string[];
  readonly metric: CrossSourceSet['metric'];
  readonly rows: number;
  readonly value: number;
  readonly target: number | null;
  readonly meets: boolean;
}

/** A classifier's decision on one text: a label index, or null when it gives none (abstains). */
export type Decide = (probabilities: ArrayLike<number>) => number | null;

/** The task's cross-source sets; tasks without any give an empty list. */
export function crossSourceSetsFor(task: TaskName, dataDir: string): CrossSourceSet[] {
  if (task === 'domain') return domainCrossSourceSets(dataDir);
  if (task === 'jailbreak') return jailbreakCrossSourceSets(dataDir);
  return [];
}

/**
 * How the router reads the model: a binary detector flags label 1 at `threshold`; a multi-class model gives its
 * top label unless that is `off_topic` or below `threshold` (the domain signal's default when the card has none).
 */
export function decisionFor(task: TaskName, labels: readonly string[], threshold: number | null): Decide {
  if (task === 'jailbreak') {
    const t = threshold ?? 0.5;
    return (p) => (unsafeProbability(p) >= t ? 1 : 0);
  }
  const offTopic = labels.indexOf(OFF_TOPIC_LABEL);
  const t = threshold ?? DEFAULT_DOMAIN_THRESHOLD;
  return (p) => {
    const top = argmax(p);
    return top === offTopic || (p[top] ?? 0) < t ? null : top;
  };
}

/** The figure of one set from the decisions on its rows (in order). */
export function crossSourceFigure(
  set: CrossSourceSet,
  decisions: readonly (number | null)[],
): CrossSourceFigure {
  let hits = 0;
  set.rows.forEach((row, i) => {
    const d = decisions[i] ?? null;
    if (set.metric === 'accuracy') hits += d === row.label ? 1 : 0;
    else if (set.metric === 'abstain' || set.metric === 'unlabelled') hits += d === null ? 1 : 0;
    else hits += d !== null && d !== 0 ? 1 : 0;
  });
  const value = set.rows.length === 0 ? 0 : hits / set.rows.length;
  return {
    name: set.name,
    files: set.files,
    metric: set.metric,
    rows: set.rows.length,
    value,
    target: set.target ?? null,
    meets: meetsTarget(set, value),
  };
}

const METRIC_PROSE: Record<CrossSourceSet['metric'], string> = {
  accuracy: 'top-1 accuracy',
  abstain: 'no domain (abstain)',
  unlabelled: 'left without a label',
  recall: 'recall (flagged)',
  fire_rate: 'fires on (false positives)',
};

/** Markdown table of the figures, with the target and whether it is met. */
export function crossSourceTable(figures: readonly CrossSourceFigure[]): string[] {
  return [
    '| set | rows | figure | value | target |',
    '|---|---:|---|---:|---|',
    ...figures.map((f) => {
      const bound = f.metric === 'fire_rate' || f.metric === 'unlabelled' ? '≤' : '≥';
      const target =
        f.target === null
          ? ''
          : `${bound} ${(f.target * 100).toFixed(0)} % ${f.meets ? '(met)' : '(**missed**)'}`;
      return `| ${f.name} | ${f.rows} | ${METRIC_PROSE[f.metric]} | ${(f.value * 100).toFixed(1)} % | ${target} |`;
    }),
  ];
}
