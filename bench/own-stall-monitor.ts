// On a machine shared with other busy processes, monitorEventLoopDelay also counts the time the main thread waited
// for a core. This monitor takes a 1 ms timer's intervals and subtracts from each the time the main thread spent
// runnable but waiting for a CPU (Linux /proc/thread-self/schedstat, second field, exact at every switch back in):
// what is left is the time the process held its own event loop. (The first field, CPU time, is only brought up to
// date at scheduler ticks, 4 ms apart, while the thread runs: too coarse.)
import { readFileSync } from 'node:fs';
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

/** Nanoseconds the calling thread has waited on a run queue; undefined where Linux schedstat is not available. */
function runQueueWaitNs(): number | undefined {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ', 2)[1]);
  } catch {
    return undefined;
  }
}

export interface OwnStallMonitor {
  /** Timer intervals (ns) without the time spent waiting for a core; empty where schedstat is not available. */
  readonly histogram: RecordableHistogram;
  stop(): void;
}

export function monitorOwnStalls(): OwnStallMonitor {
  const histogram = createHistogram();
  let lastWait = runQueueWaitNs();
  let lastWall = performance.now();
  const timer =
    lastWait === undefined
      ? undefined
      : setInterval(() => {
          const wait = runQueueWaitNs() ?? 0;
          const wall = performance.now();
          histogram.record(Math.max(1, Math.round((wall - lastWall) * 1e6 - (wait - (lastWait ?? wait)))));
          lastWait = wait;
          lastWall = wall;
        }, 1);
  timer?.unref();
  return { histogram, stop: () => clearInterval(timer) };
}
