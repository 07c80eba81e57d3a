// Start-up of the compiled router: milliseconds from spawn to its "listening" log line (policy compiled, models
// loaded and warm: ready to serve), and its resident memory once idle after that, median of N runs.
// Usage: node --import tsx bench/startup.ts [--policy FILE ...] [--runs 5] [--settle-ms 1000] [--json]
//        (default policies: policies/default.yaml and policies/ml-guardrails.yaml; builds dist/ when stale)
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ROUTER_ENTRY, runBenchMain, startServer } from './child-processes.ts';
import { REPO_ROOT } from './ext-proc-proto.ts';
import { fmt, table } from './format.ts';
import { processCpuMs, processMemory } from './proc-stats.ts';

export interface StartupOptions {
  readonly policy: string;
  /** Sequential starts (default 5). */
  readonly runs?: number;
  /** How long the router idles after ready before its RSS is read (default 1000 ms). */
  readonly settleMs?: number;
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface StartupFigures {
  readonly policy: string;
  readonly runs: number;
  /** Spawn to the "listening" line. */
  readonly readyMs: Spread;
  /** CPU time (user + system, all threads) the router spent up to that line: steadier than wall time on a busy machine. */
  readonly cpuToReadyMs: Spread;
  /** Resident set size after `settleMs` of idling once ready. */
  readonly idleRssMb: Spread;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median =
    sorted.length % 2 === 1
      ? (sorted[middle] as number)
      : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the bundled router's `serve --policy POLICY` `runs` times, one after the other (dist/ must be built). */
export async function measureStartup(options: StartupOptions): Promise<StartupFigures> {
  const runs = Math.max(1, Math.floor(options.runs ?? 5));
  const settleMs = options.settleMs ?? 1_000;
  const ready: number[] = [];
  const cpu: number[] = [];
  const rss: number[] = [];
  for (let run = 0; run < runs; run++) {
    const server = await startServer(`router (${options.policy})`, [
      ROUTER_ENTRY,
      'serve',
      '--policy',
      options.policy,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
    ]);
    try {
      ready.push(server.readyMs);
      cpu.push(processCpuMs(server.pid));
      await sleep(settleMs);
      rss.push(processMemory(server.pid).rssMb);
    } finally {
      await server.stop();
    }
  }
  return {
    policy: options.policy,
    runs,
    readyMs: spread(ready),
    cpuToReadyMs: spread(cpu),
    idleRssMb: spread(rss),
  };
}

export function formatStartup(figures: readonly StartupFigures[]): string {
  const range = (s: Spread, digits: number) => `${fmt(s.min, digits)}–${fmt(s.max, digits)}`;
  return table(
    [
      'policy',
      'runs',
      'ready ms (median)',
      'ready ms (range)',
      'CPU ms to ready (median)',
      'idle RSS MiB (median)',
      'idle RSS (range)',
    ],
    figures.map((f) => [
      f.policy,
      String(f.runs),
      fmt(f.readyMs.median),
      range(f.readyMs, 0),
      fmt(f.cpuToReadyMs.median),
      fmt(f.idleRssMb.median, 1),
      range(f.idleRssMb, 1),
    ]),
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      policy: { type: 'string', multiple: true },
      runs: { type: 'string', default: '5' },
      'settle-ms': { type: 'string', default: '1000' },
      json: { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  const settleMs = Number(values['settle-ms']);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
  if (!Number.isFinite(settleMs) || settleMs < 0)
    throw new Error('--settle-ms must be a non-negative number');
  execFileSync(process.execPath, ['scripts/build-if-stale.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
  const policies = values.policy ?? ['policies/default.yaml', 'policies/ml-guardrails.yaml'];
  const figures: StartupFigures[] = [];
  for (const policy of policies) figures.push(await measureStartup({ policy, runs, settleMs }));
  process.stdout.write(values.json ? `${JSON.stringify(figures, null, 2)}\n` : `${formatStartup(figures)}\n`);
  return 0;
}

// Run directly, not when bench/run.ts imports measureStartup.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await runBenchMain('startup', main);
