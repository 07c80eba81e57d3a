// The bench's target table: ratios against the figures measured in the same run, a verdict per target, and the
// README section rewritten between its markers only.
import { describe, expect, it } from 'vitest';
import {
  BEGIN_MARKER,
  benchSection,
  END_MARKER,
  replaceBenchSection,
} from '../../../bench/readme-section.ts';
import type { GeneratorResult } from '../../../bench/results.ts';
import { formatTargets, targetRows } from '../../../bench/targets.ts';
import type { Measured } from '../../../bench/variants.ts';

function measured(
  cpuUsPerRequest: number,
  requestsPerSecond: number,
  rssMb: number,
  readyMs = 300,
): Measured {
  const result = {
    cpuUsPerRequest,
    rssMb,
    peakRssMb: rssMb,
    phases: [{ name: 'c64', concurrency: 64, requestsPerSecond }],
  } as unknown as GeneratorResult;
  return { result, readyMs };
}

const byFigure = (rows: ReturnType<typeof targetRows>, prefix: string) => {
  const row = rows.find((r) => r.figure.startsWith(prefix));
  if (!row) throw new Error(`no row ${prefix}`);
  return row;
};

describe('bench targets', () => {
  it('judges each figure against the no-op or the router measured in the same run', () => {
    const rows = targetRows({
      noop: measured(100, 5000, 130),
      router: measured(140, 4200, 180),
      features: measured(200, 3000, 190),
      tracing: measured(150, 4000, 185),
      tracing10: measured(145, 4100, 181),
      startup: { defaultReadyMs: 420, idleRssMiB: 125, mlReadyMs: 900 },
      eventLoop: { maxStallMs: 3.2, maxWallStallMs: 9.5, largestBodyMiB: 8 },
    });
    expect(byFigure(rows, 'router CPU')).toMatchObject({ ratio: '1.40×', met: true });
    expect(byFigure(rows, 'throughput')).toMatchObject({ ratio: '0.84×', met: true });
    expect(byFigure(rows, 'CPU with every feature')).toMatchObject({ ratio: '1.43×', met: false });
    expect(byFigure(rows, 'tracing, 100 %')).toMatchObject({ ratio: '+7.1 %', met: true });
    expect(byFigure(rows, 'tracing, 10 %')).toMatchObject({ ratio: '+3.6 %', met: false });
    expect(byFigure(rows, 'RSS under')).toMatchObject({ ratio: '1.38×', met: true });
    expect(byFigure(rows, 'idle RSS')).toMatchObject({ measured: '125 MiB', met: false });
    expect(byFigure(rows, 'ready after spawn, default')).toMatchObject({ met: true });
    expect(byFigure(rows, 'longest event-loop stall')).toMatchObject({
      measured: '3.2 ms own (9.5 ms wall)',
      met: true,
    });
    // Not measured in this run: said so, and no verdict.
    expect(byFigure(rows, 'RSS growth')).toMatchObject({ met: undefined });
    expect(byFigure(rows, 'RSS growth').measured).toContain('--soak');
  });

  it('prints one Markdown row per target with its verdict', () => {
    const rows = targetRows({ noop: measured(100, 5000, 130), router: measured(400, 1000, 300) });
    const text = formatTargets(rows);
    expect(text.split('\n')).toHaveLength(rows.length + 2);
    expect(text).toContain('| router CPU per request vs no-op (c=16+64) | 400 vs 100 µs | 4.00× |');
    expect(text).toContain('MISSED');
  });

  it('rewrites only the README text between the markers', () => {
    const readme = `# Title\n\nintro\n${BEGIN_MARKER}\nold table\n${END_MARKER}\n\nafter\n`;
    const section = benchSection('| a | b |', new Date('2026-12-03T01:00:00Z'), 2);
    const updated = replaceBenchSection(readme, section);
    expect(updated).toBe(
      `# Title\n\nintro\n${BEGIN_MARKER}\nMeasured by \`npm run bench\` on 2026-12-03, 2 cores:\n\n| a | b |\n${END_MARKER}\n\nafter\n`,
    );
    expect(replaceBenchSection(updated, section)).toBe(updated);
    expect(() => replaceBenchSection('# no markers\n', section)).toThrow(/no bench section/);
  });
});
