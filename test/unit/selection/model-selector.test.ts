// Model selection among a decision's modelRefs: `static` takes the first, `weighted` splits traffic by weight.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src/seeded-random.ts';
import {
  type ModelCandidate,
  selectionAlgorithms,
  staticSelection,
  weightedSelection,
} from '../../../src/selection/model-selector.ts';
import { selectionContext } from '../../helpers/selection-context.ts';

const context = selectionContext();

/** The candidate a synchronous algorithm chooses. */
function pick<C extends ModelCandidate>(
  selector: { select(c: readonly C[], x: typeof context): unknown },
  candidates: readonly C[],
): C {
  return (selector.select(candidates, context) as { candidate: C }).candidate;
}

const candidate = (model: string, weight = 1): ModelCandidate => ({ model, weight, useReasoning: false });

function draws(seed: number | undefined, candidates: readonly ModelCandidate[], n: number): string[] {
  const selector = weightedSelection.create(seed === undefined ? {} : { seed });
  return Array.from({ length: n }, () => pick(selector, candidates).model);
}

describe('static selection', () => {
  it('always picks the first modelRef, whatever the weights', () => {
    const selector = staticSelection.create({});
    const candidates = [candidate('small', 0), candidate('big', 100)];
    for (let i = 0; i < 20; i++) expect(pick(selector, candidates).model).toBe('small');
    expect(selector.algorithm).toBe('static');
  });

  it('returns the candidate object itself (extra fields preserved)', () => {
    const first = { ...candidate('small'), loraName: 'sql-adapter', useReasoning: true };
    expect(pick(staticSelection.create({}), [first, candidate('big')])).toBe(first);
  });
});

describe('weighted selection', () => {
  const candidates = [candidate('a', 1), candidate('b', 3), candidate('c', 6)];

  it('is reproducible with a seed', () => {
    expect(draws(42, candidates, 200)).toEqual(draws(42, candidates, 200));
  });

  it('differs between seeds', () => {
    expect(draws(1, candidates, 200)).not.toEqual(draws(2, candidates, 200));
  });

  it.each([7, 42, 2024])('converges to the weights over 10,000 draws (seed %i)', (seed) => {
    const n = 10_000;
    const counts = new Map<string, number>();
    for (const model of draws(seed, candidates, n)) counts.set(model, (counts.get(model) ?? 0) + 1);
    // Binomial standard deviation at n = 10,000 is at most 0.005; allow about 4 of them.
    expect(Math.abs((counts.get('a') ?? 0) / n - 0.1)).toBeLessThan(0.02);
    expect(Math.abs((counts.get('b') ?? 0) / n - 0.3)).toBeLessThan(0.02);
    expect(Math.abs((counts.get('c') ?? 0) / n - 0.6)).toBeLessThan(0.02);
  });

  it('never picks a zero-weight candidate while others have weight', () => {
    const result = draws(3, [candidate('off', 0), candidate('on', 1), candidate('off2', 0)], 2000);
    expect(new Set(result)).toEqual(new Set(['on']));
  });

  it.each([
    ['all weights zero', [candidate('first', 0), candidate('second', 0)]],
    ['negative total', [candidate('first', -1), candidate('second', 0)]],
  ])('%s: falls back to the first candidate', (_label, list) => {
    expect(new Set(draws(5, list, 100))).toEqual(new Set(['first']));
  });

  it('without a seed, still only picks listed candidates in roughly the right split', () => {
    const result = draws(undefined, [candidate('x', 1), candidate('y', 1)], 4000);
    const xs = result.filter((m) => m === 'x').length / result.length;
    expect(new Set(result)).toEqual(new Set(['x', 'y']));
    expect(Math.abs(xs - 0.5)).toBeLessThan(0.06);
  });

  it('a single candidate is always chosen', () => {
    expect(new Set(draws(9, [candidate('only', 5)], 50))).toEqual(new Set(['only']));
  });

  it.each([
    [{ seed: 1.5 }, false],
    [{ seed: 'abc' }, false],
    [{ seed: 7 }, true],
    [{}, true],
  ])('config %j valid: %s', (config, valid) => {
    expect(weightedSelection.configSchema.safeParse(config).success).toBe(valid);
  });
});

describe('seededRandom', () => {
  it('yields numbers in [0, 1), the same sequence for the same seed', () => {
    const a = seededRandom(123);
    const b = seededRandom(123);
    for (let i = 0; i < 1000; i++) {
      const value = a();
      expect(value).toBe(b());
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
  });
});

describe('selectionAlgorithms', () => {
  it('registers every algorithm the docs list, by name', () => {
    expect([...selectionAlgorithms.keys()].sort()).toEqual([
      'automix',
      'confidence',
      'elo',
      'fusion',
      'hybrid',
      'kmeans',
      'knn',
      'latency_aware',
      'mlp',
      'multi_factor',
      'prompt',
      'ratings',
      'remom',
      'rl_driven',
      'router_dc',
      'session_aware',
      'static',
      'svm',
      'weighted',
      'workflows',
    ]);
  });
});
