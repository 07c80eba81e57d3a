import { describe, expect, it } from 'vitest';
import { ModelStatsRegistry } from '../../../src/selection/model-stats.ts';

describe('model figures read between answers', () => {
  it('percentiles and error share follow every new answer, also after being read', () => {
    const stats = new ModelStatsRegistry({ window: 4 });
    for (const ttftMs of [10, 20, 30, 40]) stats.record('m', { failed: false, ttftMs });
    expect(stats.percentile('m', 'ttft', 100)).toBe(40);
    expect(stats.view('m').errorRate).toBe(0);
    stats.record('m', { failed: false, ttftMs: 500 });
    // The window keeps the newest four: 20, 30, 40, 500.
    expect(stats.percentile('m', 'ttft', 100)).toBe(500);
    expect(stats.percentile('m', 'ttft', 25)).toBe(20);
    stats.record('m', { failed: true });
    expect(stats.view('m').errorRate).toBe(0.25);
    stats.record('m', { failed: true });
    expect(stats.view('m').errorRate).toBe(0.5);
  });
});
