// The soak's verdict: growth compares the typical RSS of its first and last thirds, not two GC-timed readings.
import { describe, expect, it } from 'vitest';
import { type RssSample, summarizeSoak } from '../../../bench/soak.ts';
import { spread } from '../../../bench/startup.ts';

const series = (values: readonly number[], everySeconds = 5): RssSample[] =>
  values.map((rssMb, i) => ({ atSeconds: (i + 1) * everySeconds, rssMb }));

describe('summarizeSoak', () => {
  it('reports no growth for a saw-tooth around a flat floor', () => {
    const sawTooth = series([180, 220, 185, 230, 182, 221, 184, 229, 181, 222, 183, 228]);
    const figures = summarizeSoak(sawTooth, 0);
    expect(Math.abs(figures.growthPercent)).toBeLessThan(5);
    expect(figures.maxRssMb).toBe(230);
  });

  it('reports the growth of a steadily rising series', () => {
    const rising = series(Array.from({ length: 12 }, (_, i) => 100 + 10 * i));
    const figures = summarizeSoak(rising, 0);
    expect(figures.firstRssMb).toBe(115);
    expect(figures.lastRssMb).toBe(195);
    expect(figures.growthPercent).toBeCloseTo(69.6, 1);
  });

  it('leaves out the samples taken while the heap first grows', () => {
    const warming = series([100, 150, 200, 200, 200, 200, 200, 200]);
    expect(summarizeSoak(warming, 15).growthPercent).toBe(0);
    expect(summarizeSoak(warming, 0).growthPercent).toBeGreaterThan(50);
  });

  it('refuses a soak too short to compare', () => {
    expect(() => summarizeSoak(series([100, 120, 130]), 10)).toThrow(/too few/);
  });
});

describe('spread', () => {
  it('gives the median, minimum and maximum of start-up runs', () => {
    expect(spread([700, 500, 900])).toEqual({ median: 700, min: 500, max: 900 });
    expect(spread([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4 });
  });
});
