// eval-routing output: the figures as a table, the curve as CSV and as a hand-written SVG plot.
import type { PairEvaluation } from './eval-routing.ts';

const f3 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(3));
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const money = (x: number, unit: string) =>
  unit === 'usd' ? `$${x.toPrecision(3)}` : `${x.toFixed(0)} chars`;

export function formatEvaluation(e: PairEvaluation): string {
  const lines = [
    `${e.dataset} held-out: ${e.prompts} prompts; strong ${e.strong}, weak ${e.weak}; router ${e.algorithm}; cost = ${e.costUnit === 'usd' ? 'USD per prompt' : 'output characters per prompt (proxy)'}`,
    'router          quality   cost            strong share   APGR    PGR@50%   AIQ',
    `${e.algorithm.padEnd(15)} ${f3(e.atDefault.quality).padEnd(9)} ${money(e.atDefault.cost, e.costUnit).padEnd(15)} ${pct(e.atDefault.strongShare).padEnd(14)} ${f3(e.router.apgr).padEnd(7)} ${f3(e.router.pgrAtHalf).padEnd(9)} ${f3(e.router.aiq)}`,
  ];
  for (const b of e.baselines) {
    lines.push(
      `${b.name.padEnd(15)} ${f3(b.quality).padEnd(9)} ${money(b.cost, e.costUnit).padEnd(15)} ${pct(b.strongShare).padEnd(14)} ${f3(b.apgr).padEnd(7)} ${f3(b.pgrAtHalf)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function curveCsv(e: PairEvaluation): string {
  const rows = ['strong_share,quality,cost,pgr,threshold'];
  for (const p of e.router.curve) {
    rows.push(
      `${p.strongShare.toFixed(5)},${p.quality.toFixed(5)},${p.cost.toPrecision(6)},${p.pgr.toFixed(5)},${Number.isNaN(p.threshold) ? '' : p.threshold.toFixed(6)}`,
    );
  }
  return `${rows.join('\n')}\n`;
}

/** Quality against cost: the router's sweep, the random line, and the baselines as points. */
export function curveSvg(e: PairEvaluation): string {
  const W = 640;
  const H = 420;
  const m = { left: 70, right: 20, top: 40, bottom: 50 };
  const points = e.router.curve;
  const xs = [...points.map((p) => p.cost), ...e.baselines.map((b) => b.cost)];
  const ys = [...points.map((p) => p.quality), ...e.baselines.map((b) => b.quality)];
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys) - 0.02, Math.max(...ys) + 0.02];
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0 || 1)) * (W - m.left - m.right);
  const sy = (y: number) => H - m.bottom - ((y - y0) / (y1 - y0 || 1)) * (H - m.top - m.bottom);
  const step = Math.max(1, Math.floor(points.length / 400));
  const path = points
    .filter((_, i) => i % step === 0 || i === points.length - 1)
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.cost).toFixed(1)},${sy(p.quality).toFixed(1)}`)
    .join(' ');
  const weak = e.baselines.find((b) => b.name === 'always-weak');
  const strong = e.baselines.find((b) => b.name === 'always-strong');
  const dots = e.baselines
    .map((b) => {
      const x = sx(b.cost);
      // Labels of points in the right half read leftwards, so they stay inside the plot.
      const right = x > W / 2;
      return (
        `<circle cx="${x.toFixed(1)}" cy="${sy(b.quality).toFixed(1)}" r="4" fill="#444"/>` +
        `<text x="${(right ? x - 6 : x + 6).toFixed(1)}" y="${(sy(b.quality) - 6).toFixed(1)}" font-size="11"` +
        `${right ? ' text-anchor="end"' : ''}>${b.name}</text>`
      );
    })
    .join('\n  ');
  const unit = e.costUnit === 'usd' ? 'cost per prompt (USD)' : 'output characters per prompt (cost proxy)';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
  <rect width="${W}" height="${H}" fill="white"/>
  <text x="${m.left}" y="20" font-size="13">${e.dataset}: ${e.strong} vs ${e.weak}, ${e.algorithm} (APGR ${f3(e.router.apgr)})</text>
  <line x1="${m.left}" y1="${H - m.bottom}" x2="${W - m.right}" y2="${H - m.bottom}" stroke="black"/>
  <line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${H - m.bottom}" stroke="black"/>
  <text x="${m.left}" y="${H - 15}" font-size="11">${unit}: ${x0.toPrecision(3)} … ${x1.toPrecision(3)}</text>
  <text x="10" y="${m.top - 8}" font-size="11">quality ${y0.toFixed(2)} … ${y1.toFixed(2)}</text>
  ${weak && strong ? `<line x1="${sx(weak.cost).toFixed(1)}" y1="${sy(weak.quality).toFixed(1)}" x2="${sx(strong.cost).toFixed(1)}" y2="${sy(strong.quality).toFixed(1)}" stroke="#999" stroke-dasharray="4 3"/>` : ''}
  <path d="${path}" fill="none" stroke="#1f77b4" stroke-width="2"/>
  <text x="${W - m.right}" y="${H - m.bottom - 8}" font-size="11" text-anchor="end" fill="#1f77b4">${e.algorithm}: 0 → 100 % strong calls</text>
  ${dots}
</svg>
`;
}
