// CPU time of this process's main thread alone, from /proc/self/task/<pid>/stat (Linux; undefined elsewhere).
// process.cpuUsage() counts every thread: the main thread's share tells the JavaScript that ran from what V8's
// helper threads (parallel and concurrent GC, background compilation) did for it. Clock ticks: 10 ms
// resolution, so only totals over many requests mean anything.
import { readFileSync } from 'node:fs';

const MICROSECONDS_PER_TICK = 10_000; // USER_HZ is 100 on Linux

/** The main thread's user + system CPU so far, µs; undefined where /proc is not readable. */
export function mainThreadCpuUs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name, which may contain spaces and is closed by the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * MICROSECONDS_PER_TICK;
  } catch {
    return undefined;
  }
}
