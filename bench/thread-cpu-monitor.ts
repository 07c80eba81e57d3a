// On a machine shared with other busy processes, monitorEventLoopDelay also counts the time the main thread waited
// for a core. This monitor reads the main thread's own CPU time (Linux /proc/thread-self/schedstat, ns) from a 1 ms
// timer and records how much of it each interval used: the stalls the process caused itself.
import { readFileSync } from 'node:fs';
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

/** Nanoseconds the calling thread has run on a CPU; undefined where Linux schedstat is not available. */
function threadCpuNs(): number | undefined {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ', 1)[0]);
  } catch {
    return undefined;
  }
}

export interface ThreadCpuMonitor {
  /** Main-thread CPU per timer interval (ns); empty where schedstat is not available. */
  readonly histogram: RecordableHistogram;
  stop(): void;
}

export function monitorThreadCpu(): ThreadCpuMonitor {
  const histogram = createHistogram();
  let last = threadCpuNs();
  const timer =
    last === undefined
      ? undefined
      : setInterval(() => {
          const now = threadCpuNs() ?? 0;
          histogram.record(Math.max(1, now - (last ?? now)));
          last = now;
        }, 1);
  timer?.unref();
  return { histogram, stop: () => clearInterval(timer) };
}
