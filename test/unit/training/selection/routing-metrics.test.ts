// APGR, PGR and AIQ: the random and oracle baselines match their closed forms.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../../src/seeded-random.ts';
import {
  averageImprovedQuality,
  oracleApgr,
  type PairOutcome,
  routerFigures,
} from '../../../../src/training/selection/routing-metrics.ts';

/** n prompts with the four outcome combinations in given shares. */
function outcomes(counts: {
  both: number;
  strongOnly: number;
  weakOnly: number;
  neither: number;
}): PairOutcome[] {
  const rows: PairOutcome[] = [];
  const add = (strong: number, weak: number, n: number) => {
    for (let i = 0; i < n; i++) rows.push({ strong, weak, strongCost: 10, weakCost: 1, score: 0 });
  };
  add(1, 1, counts.both);
  add(1, 0, counts.strongOnly);
  add(0, 1, counts.weakOnly);
  add(0, 0, counts.neither);
  return rows;
}

const rows = outcomes({ both: 300, strongOnly: 250, weakOnly: 50, neither: 400 });

describe('routing metrics', () => {
  it("the oracle's APGR equals the closed form", () => {
    const oracle = routerFigures(rows.map((r) => ({ ...r, score: r.strong - r.weak })));
    expect(oracle.apgr).toBeCloseTo(oracleApgr(0.25, 0.05), 10);
    // 0.25 − 0.25²/2 − 0.05²/2 = 0.2175, over the gap 0.2
    expect(oracle.apgr).toBeCloseTo(1.0875, 10);
    expect(oracle.pgrAtHalf).toBeCloseTo(0.25 / 0.2, 10);
  });

  it('random routing averages an APGR of 0.5 and a PGR of 0.5 at half the strong calls', () => {
    const trials = 200;
    let apgr = 0;
    let half = 0;
    for (let t = 0; t < trials; t++) {
      const random = seededRandom(t + 1);
      const f = routerFigures(rows.map((r) => ({ ...r, score: random() })));
      apgr += f.apgr / trials;
      half += f.pgrAtHalf / trials;
    }
    expect(apgr).toBeCloseTo(0.5, 2);
    expect(half).toBeCloseTo(0.5, 1);
  });

  it('the curve runs from always-weak to always-strong with the costs in between', () => {
    const f = routerFigures(rows.map((r, i) => ({ ...r, score: -i })));
    expect(f.curve).toHaveLength(rows.length + 1);
    expect(f.curve[0]).toMatchObject({ strongShare: 0, quality: 0.35, cost: 1, pgr: 0 });
    expect(f.curve.at(-1)).toMatchObject({ strongShare: 1, quality: 0.55, cost: 10, pgr: 1 });
    expect(f.curve[1]?.threshold).toBe(-0.5);
  });

  it('AIQ of a straight cost-quality line is its mean quality; dominated points do not count', () => {
    expect(
      averageImprovedQuality([
        { cost: 0, quality: 0.2 },
        { cost: 1, quality: 0.6 },
      ]),
    ).toBeCloseTo(0.4, 10);
    const withDominated = [
      { cost: 0, quality: 0.2 },
      { cost: 0.5, quality: 0.1 },
      { cost: 1, quality: 0.6 },
    ];
    expect(averageImprovedQuality(withDominated)).toBeCloseTo(0.4, 10);
    // A point above the line raises the hull.
    expect(averageImprovedQuality([...withDominated, { cost: 0.5, quality: 0.6 }])).toBeCloseTo(0.5, 10);
  });
});
