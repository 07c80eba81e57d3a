// A hand-written SVG of the comparison: p50 and p99 TTFT per strategy, and cost per strategy, as bar charts.
import type { SimulationResult } from './simulator.ts';

function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

interface Series {
  readonly name: string;
  readonly color: string;
  readonly values: readonly number[];
}

const PANEL_WIDTH = 420;
const PANEL_HEIGHT = 300;
const MARGIN = { top: 40, right: 20, bottom: 70, left: 60 };

/** A rounded-up axis maximum: 1, 2 or 5 × a power of ten. */
function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

function formatValue(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function panel(
  x0: number,
  title: string,
  unit: string,
  labels: readonly string[],
  series: readonly Series[],
): string {
  const width = PANEL_WIDTH - MARGIN.left - MARGIN.right;
  const height = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const left = x0 + MARGIN.left;
  const bottom = MARGIN.top + height;
  const group = width / Math.max(1, labels.length);
  const bar = (group * 0.7) / Math.max(1, series.length);
  const parts: string[] = [
    `<text x="${x0 + PANEL_WIDTH / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    `<line x1="${left}" y1="${bottom}" x2="${left + width}" y2="${bottom}" stroke="#333"/>`,
    `<line x1="${left}" y1="${MARGIN.top}" x2="${left}" y2="${bottom}" stroke="#333"/>`,
  ];
  for (let tick = 0; tick <= 4; tick++) {
    const value = (max * tick) / 4;
    const y = bottom - (height * tick) / 4;
    parts.push(
      `<line x1="${left - 4}" y1="${y}" x2="${left + width}" y2="${y}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${y + 4}" text-anchor="end" font-size="10">${formatValue(value)}</text>`,
    );
  }
  parts.push(
    `<text x="${x0 + 14}" y="${MARGIN.top + height / 2}" font-size="11" transform="rotate(-90 ${x0 + 14} ${MARGIN.top + height / 2})" text-anchor="middle">${escapeXml(unit)}</text>`,
  );
  labels.forEach((label, i) => {
    const gx = left + i * group + group * 0.15;
    series.forEach((s, j) => {
      const value = s.values[i] ?? 0;
      const h = (height * value) / max;
      const x = gx + j * bar;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${(bottom - h).toFixed(1)}" width="${(bar - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${s.color}"><title>${escapeXml(`${label} ${s.name}: ${formatValue(value)} ${unit}`)}</title></rect>`,
        `<text x="${(x + bar / 2).toFixed(1)}" y="${(bottom - h - 3).toFixed(1)}" text-anchor="middle" font-size="9">${formatValue(value)}</text>`,
      );
    });
    const cx = left + i * group + group / 2;
    parts.push(
      `<text x="${cx.toFixed(1)}" y="${bottom + 14}" font-size="11" text-anchor="end" transform="rotate(-30 ${cx.toFixed(1)} ${bottom + 14})">${escapeXml(label)}</text>`,
    );
  });
  series.forEach((s, j) => {
    const lx = left + width - 90;
    const ly = MARGIN.top + j * 14;
    parts.push(
      `<rect x="${lx}" y="${ly - 8}" width="10" height="10" fill="${s.color}"/>`,
      `<text x="${lx + 14}" y="${ly + 1}" font-size="10">${escapeXml(s.name)}</text>`,
    );
  });
  return parts.join('\n');
}

/** The plot as an SVG document: TTFT (p50, p99, seconds) and the cost of the GPU time used, one bar group per strategy. */
export function renderSvg(results: readonly SimulationResult[], title: string): string {
  const labels = results.map((r) => r.strategy);
  const ttft = panel(0, 'Time to first token', 'seconds', labels, [
    { name: 'p50', color: '#7fa7d9', values: results.map((r) => r.ttftMs.p50 / 1000) },
    { name: 'p99', color: '#1f4e8c', values: results.map((r) => r.ttftMs.p99 / 1000) },
  ]);
  const cost = panel(PANEL_WIDTH, 'GPU cost (GPU-hours used × price)', 'cost', labels, [
    { name: 'cost', color: '#c8742c', values: results.map((r) => r.cost) },
  ]);
  const width = PANEL_WIDTH * 2;
  const height = PANEL_HEIGHT + 24;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">
<title>${escapeXml(title)}</title>
<rect width="100%" height="100%" fill="white"/>
<text x="${width / 2}" y="${height - 6}" text-anchor="middle" font-size="11" fill="#555">${escapeXml(title)}</text>
${ttft}
${cost}
</svg>
`;
}
