// The sliding-window log on its own clock: bounded memory under a flood, never an early expiry, corrections.
import { describe, expect, it } from 'vitest';
import { SlidingWindowLog } from '../../../src/rate-limits/sliding-window.ts';

describe('SlidingWindowLog', () => {
  it('holds at most ~1000 entries per window under a flood, and never lets a charge leave early', () => {
    const windowMs = 60_000;
    const log = new SlidingWindowLog(windowMs);
    const times: number[] = [];
    let maxSize = 0;
    for (let now = 0; now < 3 * windowMs; now += 0.5) {
      log.charge(1, now);
      times.push(now);
      maxSize = Math.max(maxSize, log.size);
    }
    expect(maxSize).toBeLessThanOrEqual(1001);
    const now = 3 * windowMs;
    const exact = times.filter((t) => t > now - windowMs).length;
    const total = log.total(now);
    // Conservative by at most one entry's span (1/1000 of the window: 120 charges here), never below the exact sum.
    expect(total).toBeGreaterThanOrEqual(exact);
    expect(total - exact).toBeLessThanOrEqual(windowMs / 1000 / 0.5);
  });

  it('keeps charges further apart than 1/1000 of the window exact, with the wait until one fits', () => {
    const log = new SlidingWindowLog(10_000);
    log.charge(60, 0);
    log.charge(30, 4_000);
    expect(log.fits(20, 100, 5_000)).toBe(false);
    // 60 leaves at 10 000: then 30 + 20 fits.
    expect(log.msUntilFits(20, 100, 5_000)).toBe(5_000);
    expect(log.fits(20, 100, 10_000)).toBe(true);
  });

  it('corrects a charge in the window and ignores one that already left', () => {
    const log = new SlidingWindowLog(10_000);
    const early = log.charge(50, 0);
    const late = log.charge(50, 5_000);
    log.correct(late, 10, 6_000);
    expect(log.total(6_000)).toBe(60);
    log.correct(early, 500, 12_000);
    expect(log.total(12_000)).toBe(10);
    log.refund(late, 12_000);
    expect(log.total(12_000)).toBe(0);
  });
});
