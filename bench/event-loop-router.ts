// The router CLI (src/cli/main.ts) with its event loop measured for bench/event-loop.ts. Takes the CLI's arguments.
// On SIGUSR2 it writes what monitorEventLoopDelay saw since the previous report (JSON EventLoopReport) to the file
// named by $EVENT_LOOP_REPORT, then starts over. On a machine shared with other busy processes the delay also counts
// the time the main thread waited for a core; so a second 1 ms timer reads the main thread's own CPU time
// (/proc/thread-self/schedstat, ns) and records how much of it each interval used: the router's own stalls.
// Usage: EVENT_LOOP_REPORT=FILE node --import tsx bench/event-loop-router.ts serve --policy FILE --port 0
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

export interface EventLoopReport {
  /** Counts the reports: the reader waits for the one it asked for. */
  readonly seq: number;
  /** Longest gap between two 1 ms timer callbacks (the timer's own 1 ms included), ms. */
  readonly maxMs: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  /** Samples taken. */
  readonly count: number;
  /** Most CPU time the main thread used between two 1 ms timer callbacks, ms (undefined without schedstat). */
  readonly cpuMaxMs: number | undefined;
  readonly cpuP99Ms: number | undefined;
}

/** Nanoseconds the calling thread has run on a CPU; undefined where Linux schedstat is not available. */
function threadCpuNs(): number | undefined {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ', 1)[0]);
  } catch {
    return undefined;
  }
}

const file = process.env.EVENT_LOOP_REPORT;
if (file) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const cpuHistogram = createHistogram();
  let lastCpuNs = threadCpuNs();
  if (lastCpuNs !== undefined) {
    setInterval(() => {
      const now = threadCpuNs() ?? 0;
      cpuHistogram.record(Math.max(1, now - (lastCpuNs ?? now)));
      lastCpuNs = now;
    }, 1).unref();
  }
  let seq = 0;
  process.on('SIGUSR2', () => {
    const report: EventLoopReport = {
      seq: ++seq,
      maxMs: histogram.max / 1e6,
      p99Ms: histogram.percentile(99) / 1e6,
      meanMs: histogram.mean / 1e6,
      count: histogram.count,
      cpuMaxMs: cpuHistogram.count > 0 ? cpuHistogram.max / 1e6 : undefined,
      cpuP99Ms: cpuHistogram.count > 0 ? cpuHistogram.percentile(99) / 1e6 : undefined,
    };
    histogram.reset();
    cpuHistogram.reset();
    writeFileSync(`${file}.tmp`, JSON.stringify(report));
    renameSync(`${file}.tmp`, file);
  });
}
await import('../src/cli/main.ts');
