// Knowledge-base scoring as vLLM Semantic Router defines it: prototypes, label scores, best / threshold matches,
// groups and group_margin metrics, and the cosine rescaling of the built-in model.
import { describe, expect, it } from 'vitest';
import { cosine } from '../../../../src/ml/vector-math.ts';
import { seededRandom } from '../../../../src/seeded-random.ts';
import { ruleConfidence, summarise } from '../../../../src/signals/kb/kb-scoring.ts';
import {
  type KnowledgeBaseDocument,
  knowledgeBaseSchema,
  PROTOTYPE_SCORING_DEFAULTS,
} from '../../../../src/signals/kb/knowledge-base-schema.ts';
import { buildPrototypes, scoreLabel } from '../../../../src/signals/kb/prototype-bank.ts';
import { rescaleCosine } from '../../../../src/signals/kb/similarity-scale.ts';

/** A unit vector at `degrees` in the plane. */
function at(degrees: number): Float32Array {
  const r = (degrees * Math.PI) / 180;
  return Float32Array.from([Math.cos(r), Math.sin(r)]);
}

const kb: KnowledgeBaseDocument = knowledgeBaseSchema.parse({
  name: 'test_kb',
  source: { path: 'kb/' },
  threshold: 0.5,
  label_thresholds: { injection: 0.9 },
  groups: { risky: ['injection', 'pii'], safe: ['coding', 'chat'] },
  metrics: [{ name: 'risky_vs_safe', type: 'group_margin', positive_group: 'risky', negative_group: 'safe' }],
});

function scores(entries: Record<string, number>) {
  return summarise(kb, new Map(Object.entries(entries)));
}

describe('prototypes', () => {
  const exemplars = [
    { text: 'a', vector: at(0) },
    { text: 'b', vector: at(5) },
    { text: 'c', vector: at(10) },
    { text: 'd', vector: at(80) },
    { text: 'a', vector: at(0) },
  ];

  it('clusters near-duplicate exemplars into one prototype, the medoid, largest cluster first', () => {
    const prototypes = buildPrototypes(
      exemplars,
      { ...PROTOTYPE_SCORING_DEFAULTS, cluster_similarity_threshold: 0.98 },
      cosine,
    );
    expect(prototypes.map((p) => [p.text, p.clusterSize])).toEqual([
      ['b', 3],
      ['d', 1],
    ]);
  });

  it('clusters like the peer’s greedy pass (largest remaining cluster first) on a larger random bank', () => {
    const random = seededRandom(7);
    const centres = [0, 1, 2, 3].map(() => Array.from({ length: 8 }, () => random() - 0.5));
    const bank = Array.from({ length: 80 }, (_, i) => {
      const centre = centres[i % 4] as number[];
      const v = centre.map((c) => c + (random() - 0.5) * 0.3);
      const norm = Math.hypot(...v);
      return { text: `e${String(i).padStart(2, '0')}`, vector: Float32Array.from(v.map((x) => x / norm)) };
    });
    const settings = {
      ...PROTOTYPE_SCORING_DEFAULTS,
      cluster_similarity_threshold: 0.95,
      max_prototypes: 1000,
    };
    const vectorAt = (i: number) => bank[i]?.vector ?? new Float32Array(0);
    const textAt = (i: number) => bank[i]?.text ?? '';
    // The peer's algorithm, written plainly: each round, the seed whose cluster among the remaining exemplars is
    // largest (ties: the smaller text) takes its cluster.
    const remaining = new Set(bank.map((_, i) => i));
    const expected: number[] = [];
    while (remaining.size > 0) {
      let best: number[] = [];
      let seed = -1;
      for (const i of remaining) {
        const cluster = [...remaining].filter((j) => j === i || cosine(vectorAt(i), vectorAt(j)) >= 0.95);
        if (cluster.length > best.length || (cluster.length === best.length && textAt(i) < textAt(seed))) {
          best = cluster;
          seed = i;
        }
      }
      expected.push(best.length);
      for (const j of best) remaining.delete(j);
    }
    const prototypes = buildPrototypes(bank, settings, cosine);
    expect(prototypes.map((p) => p.clusterSize)).toEqual([...expected].sort((a, b) => b - a));
    expect(prototypes.reduce((sum, p) => sum + p.clusterSize, 0)).toBe(80);
  });

  it('keeps at most max_prototypes, and every distinct exemplar when prototype scoring is off', () => {
    const settings = { ...PROTOTYPE_SCORING_DEFAULTS, cluster_similarity_threshold: 0.98 };
    expect(buildPrototypes(exemplars, { ...settings, max_prototypes: 1 }, cosine)).toHaveLength(1);
    expect(buildPrototypes(exemplars, { ...settings, enabled: false }, cosine).map((p) => p.text)).toEqual([
      'a',
      'b',
      'c',
      'd',
    ]);
  });

  it('scores best_weight × best + (1 − best_weight) × mean of the top_m similarities', () => {
    const prototypes = [at(0), at(60), at(90)].map((vector, i) => ({
      text: String(i),
      vector,
      clusterSize: 1,
      meanSimilarity: 1,
    }));
    const score = scoreLabel(
      at(0),
      prototypes,
      { ...PROTOTYPE_SCORING_DEFAULTS, best_weight: 0.75, top_m: 2 },
      cosine,
    );
    expect(score.best).toBeCloseTo(1);
    expect(score.support).toBeCloseTo((1 + 0.5) / 2);
    expect(score.score).toBeCloseTo(0.75 * 1 + 0.25 * 0.75);
    expect(scoreLabel(at(0), [], PROTOTYPE_SCORING_DEFAULTS, cosine).score).toBe(0);
  });
});

describe('label and group matches', () => {
  it('best: only the top label matches, with its score, and only when it reaches its threshold', () => {
    const result = scores({ pii: 0.6, injection: 0.3, coding: 0.25, chat: 0.1 });
    expect(ruleConfidence(kb, result, { kind: 'label', value: 'pii' }, 'best')).toBeCloseTo(0.6);
    expect(ruleConfidence(kb, result, { kind: 'label', value: 'coding' }, 'best')).toBeUndefined();
    const unsure = scores({ injection: 0.8, pii: 0.2, coding: 0.25, chat: 0.1 });
    expect(ruleConfidence(kb, unsure, { kind: 'label', value: 'injection' }, 'best')).toBeUndefined();
  });

  it('best on a group: the group holding the top label matches with its group score', () => {
    const result = scores({ injection: 0.2, pii: 0.6, coding: 0.7, chat: 0.1 });
    expect(ruleConfidence(kb, result, { kind: 'group', value: 'safe' }, 'best')).toBeCloseTo(0.7);
    expect(ruleConfidence(kb, result, { kind: 'group', value: 'risky' }, 'best')).toBeUndefined();
  });

  it('breaks a tie for the top label alphabetically, as the peer does', () => {
    const result = scores({ pii: 0.6, chat: 0.6 });
    expect(result.bestLabel).toBe('chat');
  });

  it('threshold: a label needs its own threshold (label_thresholds over the kb threshold)', () => {
    const result = scores({ injection: 0.8, pii: 0.55, coding: 0.4, chat: 0.1 });
    expect(ruleConfidence(kb, result, { kind: 'label', value: 'injection' }, 'threshold')).toBeUndefined();
    expect(ruleConfidence(kb, result, { kind: 'label', value: 'pii' }, 'threshold')).toBeCloseTo(0.55);
    expect(ruleConfidence(kb, result, { kind: 'label', value: 'coding' }, 'threshold')).toBeUndefined();
  });

  it('threshold on a group: some label of it passes; confidence = the best score in the group', () => {
    const result = scores({ injection: 0.8, pii: 0.55, coding: 0.4, chat: 0.1 });
    expect(ruleConfidence(kb, result, { kind: 'group', value: 'risky' }, 'threshold')).toBeCloseTo(0.8);
    expect(ruleConfidence(kb, result, { kind: 'group', value: 'safe' }, 'threshold')).toBeUndefined();
  });
});

describe('metrics', () => {
  it('group_margin is the best score of the positive group minus the best of the negative group', () => {
    const result = scores({ injection: 0.2, pii: 0.7, coding: 0.4, chat: 0.5 });
    expect(result.metrics.get('risky_vs_safe')).toBeCloseTo(0.2);
    expect(
      scores({ injection: 0.1, pii: 0.1, coding: 0.9, chat: 0 }).metrics.get('risky_vs_safe'),
    ).toBeCloseTo(-0.8);
  });

  it('reports best_score and best_matched_score like the peer', () => {
    const result = scores({ injection: 0.85, pii: 0.6, coding: 0.1, chat: 0.1 });
    expect(result.metrics.get('best_score')).toBeCloseTo(0.85);
    expect(result.metrics.get('best_matched_score')).toBeCloseTo(0.6);
  });
});

describe('similarity scale', () => {
  it('maps the floor to 0 and identity to 1, linearly in between', () => {
    expect(rescaleCosine(0.8, 0.8)).toBe(0);
    expect(rescaleCosine(0.5, 0.8)).toBe(0);
    expect(rescaleCosine(1, 0.8)).toBe(1);
    expect(rescaleCosine(0.9, 0.8)).toBeCloseTo(0.5);
    expect(rescaleCosine(Number.NaN)).toBe(0);
  });
});
