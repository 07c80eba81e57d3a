// Soak: the compiled router under steady moderate load for a long time, its RSS sampled every few seconds, to
// show whether memory keeps growing (retention per stream, unbounded caches) or levels off.
// Usage: node --import tsx bench/soak.ts [--soak 600] [--policy policies/default.yaml] [--concurrency 8]
//        [--sample-every 5] [--settle 30] [--json]
// Samples before --settle seconds (the heap's first growth) are left out; `first` and `last` are the medians of the
// first and last thirds of the rest; growth = (last − first) / first.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ROUTER_ENTRY, runBenchMain, startServer } from './child-processes.ts';
import { REPO_ROOT } from './ext-proc-proto.ts';
import { fmt } from './format.ts';
import { processMemory } from './proc-stats.ts';
import type { GeneratorResult } from './results.ts';

export interface SoakOptions {
  readonly policy?: string;
  /** Length of the steady-load phase (default 600). */
  readonly seconds?: number;
  /** Concurrent streams (default 8). */
  readonly concurrency?: number;
  readonly sampleEverySeconds?: number;
  /** Samples taken before this many seconds into the soak are not compared (default 30, at most a third). */
  readonly settleSeconds?: number;
}

export interface RssSample {
  readonly atSeconds: number;
  readonly rssMb: number;
}

export interface SoakFigures {
  readonly policy: string;
  readonly seconds: number;
  readonly concurrency: number;
  readonly requests: number;
  readonly firstRssMb: number;
  readonly lastRssMb: number;
  readonly maxRssMb: number;
  readonly growthPercent: number;
  readonly samples: readonly RssSample[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * First/last/max and growth of the samples taken at or after `settleSeconds`. Under load RSS is a saw-tooth
 * (garbage piles up in the old generation until a major GC), so `first` and `last` are the medians of the first
 * and last thirds of those samples, not single readings.
 */
export function summarizeSoak(
  samples: readonly RssSample[],
  settleSeconds: number,
): Pick<SoakFigures, 'firstRssMb' | 'lastRssMb' | 'maxRssMb' | 'growthPercent'> {
  const settled = samples.filter((s) => s.atSeconds >= settleSeconds).map((s) => s.rssMb);
  if (settled.length < 3) throw new Error('too few RSS samples after the settle period: soak longer');
  const third = Math.floor(settled.length / 3);
  const firstRssMb = median(settled.slice(0, third));
  const lastRssMb = median(settled.slice(-third));
  return {
    firstRssMb,
    lastRssMb,
    maxRssMb: Math.max(...settled),
    growthPercent: ((lastRssMb - firstRssMb) / firstRssMb) * 100,
  };
}

/** Runs the load generator to completion with `env` added; resolves with its JSON result. */
function runGenerator(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<GeneratorResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/load-generator.ts', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code !== 0) reject(new Error(`load generator failed with ${signal ?? `exit code ${code}`}`));
      else resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as GeneratorResult);
    });
  });
}

/** Starts the bundled router's `serve` (dist/ must be built), loads it for `seconds` and samples its RSS. */
export async function measureSoak(options: SoakOptions = {}): Promise<SoakFigures> {
  const policy = options.policy ?? 'policies/default.yaml';
  const seconds = options.seconds ?? 600;
  const concurrency = options.concurrency ?? 8;
  const sampleEvery = options.sampleEverySeconds ?? 5;
  const settleSeconds = Math.min(options.settleSeconds ?? 30, seconds / 3);
  const server = await startServer('router', [
    ROUTER_ENTRY,
    'serve',
    '--policy',
    policy,
    '--port',
    '0',
    '--host',
    '127.0.0.1',
  ]);
  const samples: RssSample[] = [];
  // The clock starts when the generator is spawned: its own start-up is part of the settle period.
  const started = performance.now();
  const sample = () =>
    samples.push({ atSeconds: (performance.now() - started) / 1000, rssMb: processMemory(server.pid).rssMb });
  const timer = setInterval(sample, sampleEvery * 1000);
  try {
    const result = await runGenerator(
      ['--target', `127.0.0.1:${server.port}`, '--pid', String(server.pid), '--verify', 'router'],
      {
        BENCH_SECONDS: String(seconds),
        BENCH_CONCURRENCY: String(concurrency),
        BENCH_WARMUP_SECONDS: '0',
        BENCH_LATENCY_REQUESTS: '1',
        BENCH_GENERATOR_THREADS: '1',
        BENCH_CHANNELS: '1',
      },
    ).finally(() => clearInterval(timer));
    sample();
    return {
      policy,
      seconds,
      concurrency,
      requests: result.requests,
      ...summarizeSoak(samples, settleSeconds),
      samples,
    };
  } catch (error) {
    process.stderr.write(`router log (last lines):\n${server.logTail().join('\n')}\n`);
    throw error;
  } finally {
    clearInterval(timer);
    await server.stop();
  }
}

function positive(value: string, name: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new Error(`--${name} must be a positive number`);
  return number;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      soak: { type: 'string', default: '600' },
      policy: { type: 'string', default: 'policies/default.yaml' },
      concurrency: { type: 'string', default: '8' },
      'sample-every': { type: 'string', default: '5' },
      settle: { type: 'string', default: '30' },
      json: { type: 'boolean', default: false },
    },
  });
  const figures = await measureSoak({
    policy: values.policy,
    seconds: positive(values.soak, 'soak'),
    concurrency: Math.floor(positive(values.concurrency, 'concurrency')),
    sampleEverySeconds: positive(values['sample-every'], 'sample-every'),
    settleSeconds: Number(values.settle),
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `soak: ${figures.policy}, ${fmt(figures.seconds)} s at c=${figures.concurrency}, ${fmt(figures.requests)} requests`,
    `RSS MiB: first ${fmt(figures.firstRssMb, 1)}, last ${fmt(figures.lastRssMb, 1)}, max ${fmt(figures.maxRssMb, 1)}`,
    `growth: ${fmt(figures.growthPercent, 1)} % (target ≤ 5 %)`,
    `samples (s: MiB): ${figures.samples.map((s) => `${fmt(s.atSeconds)}: ${fmt(s.rssMb, 1)}`).join(', ')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

// Run directly, not when bench/run.ts imports measureSoak.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await runBenchMain('soak', main);
