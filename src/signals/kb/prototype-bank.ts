// A label's exemplars reduced to prototypes (vLLM Semantic Router's prototype scoring): exemplars are clustered
// greedily around the seed that gathers the most others at `cluster_similarity_threshold`, each cluster is
// represented by its medoid, and a query's label score mixes its best and its top-m mean similarity.
import type { PrototypeScoring } from './knowledge-base-schema.ts';

export interface Exemplar {
  readonly text: string;
  readonly vector: Float32Array;
}

export interface Prototype {
  readonly text: string;
  readonly vector: Float32Array;
  readonly clusterSize: number;
  readonly meanSimilarity: number;
}

/** Similarity of two unit vectors on the knowledge base's scale (see similarity-scale.ts). */
export type Similarity = (a: Float32Array, b: Float32Array) => number;

export interface LabelScore {
  /** best_weight × best + (1 − best_weight) × mean of the top_m similarities. */
  readonly score: number;
  readonly best: number;
  readonly support: number;
}

function medoid(
  exemplars: readonly Exemplar[],
  cluster: readonly number[],
  matrix: readonly (readonly number[])[],
): Prototype {
  let bestIndex = cluster[0] ?? 0;
  let bestMean = -Infinity;
  for (const i of cluster) {
    let sum = 0;
    for (const j of cluster) sum += matrix[i]?.[j] ?? 0;
    const mean = sum / cluster.length;
    const text = exemplars[i]?.text ?? '';
    if (mean > bestMean || (mean === bestMean && text < (exemplars[bestIndex]?.text ?? ''))) {
      bestIndex = i;
      bestMean = mean;
    }
  }
  const chosen = exemplars[bestIndex] as Exemplar;
  return { text: chosen.text, vector: chosen.vector, clusterSize: cluster.length, meanSimilarity: bestMean };
}

/** The prototypes of one label: every exemplar when prototype scoring is off, else the largest clusters' medoids. */
export function buildPrototypes(
  exemplars: readonly Exemplar[],
  settings: PrototypeScoring,
  similarity: Similarity,
): Prototype[] {
  const seen = new Set<string>();
  const unique = exemplars.filter((e) => e.vector.length > 0 && !seen.has(e.text) && seen.add(e.text));
  if (!settings.enabled)
    return unique.map((e) => ({ text: e.text, vector: e.vector, clusterSize: 1, meanSimilarity: 1 }));
  const matrix = unique.map((a, i) => unique.map((b, j) => (i === j ? 1 : similarity(a.vector, b.vector))));
  const threshold = settings.cluster_similarity_threshold;
  const neighbours = matrix.map((row, i) =>
    row.flatMap((sim, j) => (j !== i && sim >= threshold ? [j] : [])),
  );
  // Remaining neighbours per exemplar, kept up to date as clusters leave: the greedy pass stays quadratic.
  const count = neighbours.map((list) => list.length);
  const remaining = new Set(unique.keys());
  const prototypes: Prototype[] = [];
  while (remaining.size > 0) {
    let seed = -1;
    for (const candidate of remaining) {
      const better =
        seed === -1 ||
        (count[candidate] ?? 0) > (count[seed] ?? 0) ||
        ((count[candidate] ?? 0) === (count[seed] ?? 0) &&
          (unique[candidate]?.text ?? '') < (unique[seed]?.text ?? ''));
      if (better) seed = candidate;
    }
    const cluster = [seed, ...(neighbours[seed] ?? []).filter((j) => remaining.has(j))].sort((a, b) => a - b);
    for (const member of cluster) remaining.delete(member);
    for (const member of cluster) for (const j of neighbours[member] ?? []) count[j] = (count[j] ?? 0) - 1;
    prototypes.push(medoid(unique, cluster, matrix));
  }
  prototypes.sort(
    (a, b) =>
      b.clusterSize - a.clusterSize ||
      b.meanSimilarity - a.meanSimilarity ||
      (a.text < b.text ? -1 : a.text > b.text ? 1 : 0),
  );
  return prototypes.slice(0, settings.max_prototypes);
}

/** The score of a query against one label's prototypes (0 for a label without prototypes). */
export function scoreLabel(
  query: Float32Array,
  prototypes: readonly Prototype[],
  settings: PrototypeScoring,
  similarity: Similarity,
): LabelScore {
  if (prototypes.length === 0) return { score: 0, best: 0, support: 0 };
  const similarities = prototypes.map((p) => similarity(query, p.vector)).sort((a, b) => b - a);
  const best = similarities[0] ?? 0;
  const topM = Math.min(settings.top_m, similarities.length);
  let support = 0;
  for (let i = 0; i < topM; i++) support += similarities[i] ?? 0;
  support /= topM;
  return { score: settings.best_weight * best + (1 - settings.best_weight) * support, best, support };
}
