// The router CLI (src/cli/main.ts) with its event loop measured for bench/event-loop.ts. Takes the CLI's arguments.
// On SIGUSR2 it writes what monitorEventLoopDelay saw since the previous report (JSON EventLoopReport) to the file
// named by $EVENT_LOOP_REPORT, then starts over; with it the longest 1 ms timer intervals without the time spent
// waiting for a core (own-stall-monitor.ts: the router's own stalls), the longest GC pause and the full GCs.
// Usage: EVENT_LOOP_REPORT=FILE node --import tsx bench/event-loop-router.ts serve --policy FILE --port 0
import { renameSync, writeFileSync } from 'node:fs';
import {
  constants,
  monitorEventLoopDelay,
  type PerformanceEntry,
  PerformanceObserver,
} from 'node:perf_hooks';
import { monitorOwnStalls } from './own-stall-monitor.ts';

export interface EventLoopReport {
  /** Counts the reports: the reader waits for the one it asked for. */
  readonly seq: number;
  /** Longest gap between two 1 ms timer callbacks (the timer's own 1 ms included), ms. */
  readonly maxMs: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  /** Samples taken. */
  readonly count: number;
  /** Longest 1 ms timer interval without the time spent waiting for a core, ms (undefined without schedstat). */
  readonly ownMaxMs: number | undefined;
  readonly ownP99Ms: number | undefined;
  /** Longest garbage-collection pause of the main thread, ms. */
  readonly gcMaxMs: number;
  /** Full (mark-compact) collections of the main thread: what allocation-heavy bodies drive up. */
  readonly fullGcs: number;
}

const file = process.env.EVENT_LOOP_REPORT;
if (file) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const ownHistogram = monitorOwnStalls().histogram;
  let gcMaxMs = 0;
  let fullGcs = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcMaxMs = Math.max(gcMaxMs, entry.duration);
      const { detail } = entry as PerformanceEntry & { detail?: { kind?: number } };
      if (detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) fullGcs++;
    }
  }).observe({ entryTypes: ['gc'] });
  let seq = 0;
  process.on('SIGUSR2', () => {
    const report: EventLoopReport = {
      seq: ++seq,
      maxMs: histogram.max / 1e6,
      p99Ms: histogram.percentile(99) / 1e6,
      meanMs: histogram.mean / 1e6,
      count: histogram.count,
      ownMaxMs: ownHistogram.count > 0 ? ownHistogram.max / 1e6 : undefined,
      ownP99Ms: ownHistogram.count > 0 ? ownHistogram.percentile(99) / 1e6 : undefined,
      gcMaxMs,
      fullGcs,
    };
    gcMaxMs = 0;
    fullGcs = 0;
    histogram.reset();
    ownHistogram.reset();
    writeFileSync(`${file}.tmp`, JSON.stringify(report));
    renameSync(`${file}.tmp`, file);
  });
}
await import('../src/cli/main.ts');
