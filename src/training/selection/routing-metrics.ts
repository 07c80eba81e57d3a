// Routing quality of a strong/weak router: the cost-quality curve of a score threshold sweep, PGR, APGR and AIQ.

/** One held-out prompt: the two models' outcomes and costs and the router's score (higher → strong model). */
export interface PairOutcome {
  readonly strong: number;
  readonly weak: number;
  readonly strongCost: number;
  readonly weakCost: number;
  readonly score: number;
}

export interface CurvePoint {
  /** Share of prompts sent to the strong model. */
  readonly strongShare: number;
  readonly quality: number;
  readonly cost: number;
  /** Performance gap recovered: (quality − weak) / (strong − weak). */
  readonly pgr: number;
  /** The score threshold that yields this share (prompts scoring above it go strong); NaN at the ends. */
  readonly threshold: number;
}

export interface RouterFigures {
  readonly curve: readonly CurvePoint[];
  /** Mean PGR over strong-call shares from 0 to 100 % (RouteLLM). */
  readonly apgr: number;
  /** PGR with half of the prompts on the strong model. */
  readonly pgrAtHalf: number;
  /** Average quality over the cost range under the non-decreasing convex hull of the curve (RouterBench). */
  readonly aiq: number;
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length);

/** The sweep: prompts in descending score order go to the strong model one by one (ties keep data order). */
export function routerFigures(rows: readonly PairOutcome[]): RouterFigures {
  const n = rows.length;
  const order = rows
    .map((_, i) => i)
    .sort((a, b) => (rows[b]?.score as number) - (rows[a]?.score as number) || a - b);
  const qWeak = mean(rows.map((r) => r.weak));
  const qStrong = mean(rows.map((r) => r.strong));
  const gap = qStrong - qWeak;
  let quality = qWeak * n;
  let cost = rows.reduce((s, r) => s + r.weakCost, 0);
  const curve: CurvePoint[] = [];
  const point = (j: number): CurvePoint => ({
    strongShare: n === 0 ? 0 : j / n,
    quality: n === 0 ? 0 : quality / n,
    cost: n === 0 ? 0 : cost / n,
    pgr: gap === 0 ? 0 : (quality / n - qWeak) / gap,
    threshold:
      j === 0 || j === n
        ? Number.NaN
        : ((rows[order[j - 1] as number]?.score as number) + (rows[order[j] as number]?.score as number)) / 2,
  });
  curve.push(point(0));
  for (let j = 1; j <= n; j++) {
    const r = rows[order[j - 1] as number] as PairOutcome;
    quality += r.strong - r.weak;
    cost += r.strongCost - r.weakCost;
    curve.push(point(j));
  }
  let area = 0;
  for (let j = 1; j < curve.length; j++) {
    area += (((curve[j]?.pgr as number) + (curve[j - 1]?.pgr as number)) / 2) * (1 / n);
  }
  return {
    curve,
    apgr: area,
    pgrAtHalf: curve[Math.round(n / 2)]?.pgr ?? 0,
    aiq: averageImprovedQuality(curve),
  };
}

/** Upper convex hull of (cost, quality) points, made non-decreasing, averaged over [min cost, max cost]. */
export function averageImprovedQuality(points: readonly { cost: number; quality: number }[]): number {
  if (points.length === 0) return 0;
  const sorted = [...points].sort((a, b) => a.cost - b.cost || b.quality - a.quality);
  const hull: { cost: number; quality: number }[] = [];
  for (const p of sorted) {
    if (hull.length > 0 && p.quality <= (hull.at(-1)?.quality as number)) continue; // non-decreasing
    while (hull.length >= 2) {
      const a = hull[hull.length - 2] as { cost: number; quality: number };
      const b = hull[hull.length - 1] as { cost: number; quality: number };
      // Drop b when it lies on or below the segment a → p.
      if ((b.quality - a.quality) * (p.cost - a.cost) <= (p.quality - a.quality) * (b.cost - a.cost))
        hull.pop();
      else break;
    }
    hull.push(p);
  }
  const lo = sorted[0]?.cost as number;
  const hi = sorted.at(-1)?.cost as number;
  if (hi <= lo) return Math.max(...points.map((p) => p.quality));
  let area = 0;
  for (let i = 1; i < hull.length; i++) {
    const a = hull[i - 1] as { cost: number; quality: number };
    const b = hull[i] as { cost: number; quality: number };
    area += ((a.quality + b.quality) / 2) * (b.cost - a.cost);
  }
  // Past the hull's last point the best quality so far holds.
  area += (hull.at(-1)?.quality as number) * (hi - (hull.at(-1)?.cost as number));
  return area / (hi - lo);
}

/**
 * APGR of the oracle in closed form: with `a` = share of prompts only the strong model gets right and `b` = share
 * only the weak one does, the oracle sends the `a` ones first, neutral ones next and the `b` ones last.
 */
export function oracleApgr(a: number, b: number): number {
  const gap = a - b;
  // ∫0^1 [min(s, a) − max(0, s − (1 − b))] ds / gap
  const gain = a - (a * a) / 2; // ∫ min(s, a)
  const loss = (b * b) / 2; // ∫ max(0, s − 1 + b)
  return (gain - loss) / gap;
}
