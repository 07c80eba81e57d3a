// What `simulate` prints and writes: a table per strategy and per pool, and the same figures as CSV.
import type { SimulationResult } from './simulator.ts';

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const seconds = (ms: number) => (ms / 1000).toFixed(2);
const fixed = (value: number, digits: number) => value.toFixed(digits);
const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

export const SUMMARY_COLUMNS = [
  'strategy',
  'done',
  'rejected',
  'ttft p50 s',
  'ttft p99 s',
  'e2e p50 s',
  'e2e p99 s',
  'req/s',
  'out tok/s',
  'GPU-h used',
  'cost',
  'prefix hit',
] as const;

/** The side-by-side table of strategies, then each strategy's pools. */
export function renderTables(results: readonly SimulationResult[]): string {
  const summary = table(
    SUMMARY_COLUMNS,
    results.map((r) => [
      r.strategy,
      String(r.completed),
      String(r.rejectedTotal),
      seconds(r.ttftMs.p50),
      seconds(r.ttftMs.p99),
      seconds(r.e2eMs.p50),
      seconds(r.e2eMs.p99),
      fixed(r.requestsPerS, 2),
      fixed(r.outputTokensPerS, 0),
      fixed(r.usedGpuHours, 2),
      fixed(r.cost, 2),
      percent(r.prefixHitShare),
    ]),
  );
  const pools = table(
    [
      'strategy',
      'pool',
      'gpu',
      'requests',
      'done',
      'GPU-h used',
      'GPU-h busy',
      'GPU-h provisioned',
      'utilisation',
      'cost',
    ],
    results.flatMap((r) =>
      r.pools
        .filter((p) => p.requests > 0)
        .map((p) => [
          r.strategy,
          p.pool,
          p.gpu,
          String(p.requests),
          String(p.completed),
          fixed(p.usedGpuHours, 2),
          fixed(p.busyGpuHours, 2),
          fixed(p.provisionedGpuHours, 2),
          percent(p.utilisation),
          fixed(p.cost, 2),
        ]),
    ),
  );
  const reasons = results
    .filter((r) => r.rejectedTotal > 0 || r.answeredByRouter > 0)
    .map((r) => {
      const parts = Object.entries(r.rejected)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([reason, count]) => `${reason} ${count}`);
      if (r.answeredByRouter > 0) parts.push(`answered by the router ${r.answeredByRouter}`);
      return `  ${r.strategy}: ${parts.join(', ')}`;
    });
  return `${summary}\n\nper pool:\n${pools}\n${reasons.length > 0 ? `\nrejected:\n${reasons.join('\n')}\n` : ''}`;
}

function csvCell(value: string | number): string {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csv(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return `${[header, ...rows].map((row) => row.map(csvCell).join(',')).join('\n')}\n`;
}

/** One row per strategy (times in ms, shares as fractions). */
export function summaryCsv(results: readonly SimulationResult[]): string {
  return csv(
    [
      'strategy',
      'requests',
      'completed',
      'rejected',
      'answered_by_router',
      'ttft_p50_ms',
      'ttft_p99_ms',
      'e2e_p50_ms',
      'e2e_p99_ms',
      'span_s',
      'requests_per_s',
      'output_tokens_per_s',
      'used_gpu_hours',
      'cost',
      'prefix_hit_share',
    ],
    results.map((r) => [
      r.strategy,
      r.requests,
      r.completed,
      r.rejectedTotal,
      r.answeredByRouter,
      r.ttftMs.p50.toFixed(1),
      r.ttftMs.p99.toFixed(1),
      r.e2eMs.p50.toFixed(1),
      r.e2eMs.p99.toFixed(1),
      r.spanS.toFixed(1),
      r.requestsPerS.toFixed(3),
      r.outputTokensPerS.toFixed(1),
      r.usedGpuHours.toFixed(4),
      r.cost.toFixed(4),
      r.prefixHitShare.toFixed(4),
    ]),
  );
}

/** One row per strategy and pool. */
export function poolsCsv(results: readonly SimulationResult[]): string {
  return csv(
    [
      'strategy',
      'pool',
      'gpu',
      'requests',
      'completed',
      'used_gpu_hours',
      'busy_gpu_hours',
      'provisioned_gpu_hours',
      'utilisation',
      'cost',
    ],
    results.flatMap((r) =>
      r.pools.map((p) => [
        r.strategy,
        p.pool,
        p.gpu,
        p.requests,
        p.completed,
        p.usedGpuHours.toFixed(4),
        p.busyGpuHours.toFixed(4),
        p.provisionedGpuHours.toFixed(4),
        p.utilisation.toFixed(4),
        p.cost.toFixed(4),
      ]),
    ),
  );
}
