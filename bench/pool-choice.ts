// Two pools serving one model, one of them slow: how the pool strategy shapes what clients see. Two stub model servers
// in process (src/stub/openai-stub.ts): `fast-pool` (short time to first token, 8 slots) and `slow-pool` (long time
// to first token, 2 slots, so it queues), each scraped on its /metrics; the router in process (startApp) on a policy
// listing slow-pool FIRST; closed-loop clients (default 16), each request a streamed chat completion played through
// ext_proc as Envoy would (bench/ext-proc-player.ts). The same load runs once per strategy on a fresh router.
// Prints per strategy: requests, end-to-end p50 / p99 (request headers sent → last response chunk answered), time to
// the first chunk, each pool's share, and the ratio of the p99s; plus this process's CPU and event-loop delay, since
// stubs, router and clients share one event loop (figures from a saturated loop say so).
// Usage: node --import tsx bench/pool-choice.ts [--seconds 12] [--warmup 5] [--clients 16]
//        [--strategies ordered,least_loaded,lowest_latency] (also least_loaded_nocap: no capacity hints)
//        [--tokens 64] [--tokens-per-second 500] [--fast-ttft 20] [--fast-slots 8] [--slow-ttft 400] [--slow-slots 2]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { type App, startApp } from '../src/app.ts';
import { createStubServer } from '../src/stub/openai-stub.ts';
import { createLogger } from '../src/telemetry/logger.ts';
import { ExtProcPlayer, type PlayedRequest } from './ext-proc-player.ts';
import { fmt, table } from './format.ts';

const FAST = 'fast-pool';
const SLOW = 'slow-pool';
const MODEL = 'Qwen/Qwen3-8B';
const STRATEGIES = ['ordered', 'least_loaded', 'least_loaded_nocap', 'lowest_latency'] as const;
type StrategyName = (typeof STRATEGIES)[number];

interface Options {
  readonly seconds: number;
  readonly warmup: number;
  readonly clients: number;
  readonly strategies: readonly StrategyName[];
  readonly tokens: number;
  readonly tokensPerSecond: number;
  readonly fastTtft: number;
  readonly fastSlots: number;
  readonly slowTtft: number;
  readonly slowSlots: number;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '12' },
      warmup: { type: 'string', default: '5' },
      clients: { type: 'string', default: '16' },
      strategies: { type: 'string', default: 'ordered,least_loaded,lowest_latency' },
      tokens: { type: 'string', default: '64' },
      'tokens-per-second': { type: 'string', default: '500' },
      'fast-ttft': { type: 'string', default: '20' },
      'fast-slots': { type: 'string', default: '8' },
      'slow-ttft': { type: 'string', default: '400' },
      'slow-slots': { type: 'string', default: '2' },
    },
  });
  const num = (name: keyof typeof values, min: number, integer = false) => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n)))
      throw new Error(`--${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}`);
    return n;
  };
  const strategies = String(values.strategies)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of strategies)
    if (!(STRATEGIES as readonly string[]).includes(s))
      throw new Error(`unknown strategy '${s}' (known: ${STRATEGIES.join(', ')})`);
  return {
    seconds: num('seconds', 1),
    warmup: num('warmup', 0),
    clients: num('clients', 1, true),
    strategies: strategies as StrategyName[],
    tokens: num('tokens', 1, true),
    tokensPerSecond: num('tokens-per-second', 0),
    fastTtft: num('fast-ttft', 0),
    fastSlots: num('fast-slots', 1, true),
    slowTtft: num('slow-ttft', 0),
    slowSlots: num('slow-slots', 1, true),
  };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

function poolSelection(strategy: StrategyName, options: Options): Record<string, unknown> {
  switch (strategy) {
    case 'least_loaded':
      // Capacity = the engines' concurrent slots (vLLM max_num_seqs × replicas), as an operator would state it.
      return {
        strategy: 'least_loaded',
        least_loaded: { capacity: { [FAST]: options.fastSlots, [SLOW]: options.slowSlots } },
      };
    case 'least_loaded_nocap':
      return { strategy: 'least_loaded' };
    default:
      return { strategy };
  }
}

function policyDocument(strategy: StrategyName, options: Options, ports: ReadonlyMap<string, number>) {
  const metrics = (pool: string) => `http://127.0.0.1:${ports.get(pool)}/metrics`;
  return {
    version: 'v1',
    default_model: 'chat',
    pools: [
      // The slow pool first: `ordered` sends everything there.
      { name: SLOW, max_context_tokens: '32K', metrics_endpoint: metrics(SLOW) },
      { name: FAST, max_context_tokens: '32K', metrics_endpoint: metrics(FAST) },
    ],
    models: [{ name: 'chat', provider_model_id: MODEL, pools: [SLOW, FAST] }],
    pool_selection: poolSelection(strategy, options),
    scrape: { interval_seconds: 0.25, timeout_ms: 200, stale_seconds: 2 },
  };
}

interface Sample {
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly result?: PlayedRequest;
  readonly error?: string;
}

interface RunResult {
  readonly strategy: StrategyName;
  readonly windowSeconds: number;
  readonly samples: readonly Sample[];
  /** Requests started during the warm-up, and how many of them the router sent to the slow pool. */
  readonly warmup: { readonly started: number; readonly slow: number };
  /** This process's CPU over the window, % of one core. */
  readonly cpuPercent: number;
  /** Event-loop utilization over the window (0..1). */
  readonly elu: number;
  readonly loopDelayP99Ms: number;
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number);

async function runStrategy(
  strategy: StrategyName,
  options: Options,
  ports: ReadonlyMap<string, number>,
  dir: string,
): Promise<RunResult> {
  const policyFile = path.join(dir, `${strategy}.yaml`);
  writeFileSync(policyFile, YAML.stringify(policyDocument(strategy, options, ports)));
  const app: App = await startApp({
    policyFile,
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 1024 * 1024,
    shutdownGraceMs: 5_000,
    failOpen: false,
    watch: false,
    logger: createLogger({ level: 'warn' }),
  });
  const player = new ExtProcPlayer(app.port, ports);
  try {
    // Wait for a first scrape of both pools, so least_loaded starts from what the engines say.
    for (let i = 0; i < 40; i++) {
      if (app.pools.view().pools.every((p) => p.scraped !== undefined)) break;
      await sleep(50);
    }
    const start = performance.now();
    const measureFrom = start + options.warmup * 1000;
    const endAt = measureFrom + options.seconds * 1000;
    const samples: Sample[] = [];
    let request = 0;
    const client = async () => {
      while (performance.now() < endAt) {
        const body = Buffer.from(
          JSON.stringify({
            model: 'chat',
            messages: [{ role: 'user', content: `Request ${request++}: summarise the state of the pools.` }],
            stream: true,
            max_tokens: options.tokens * 2,
          }),
        );
        const startedAt = performance.now();
        try {
          const result = await player.play(body);
          samples.push({ startedAt, finishedAt: performance.now(), result });
        } catch (error) {
          samples.push({
            startedAt,
            finishedAt: performance.now(),
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    };
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    let cpuBefore: NodeJS.CpuUsage | undefined;
    let eluBefore: ReturnType<typeof performance.eventLoopUtilization> | undefined;
    const window = (async () => {
      await sleep(Math.max(0, measureFrom - performance.now()));
      cpuBefore = process.cpuUsage();
      eluBefore = performance.eventLoopUtilization();
      loopDelay.enable();
      await sleep(Math.max(0, endAt - performance.now()));
      const cpu = process.cpuUsage(cpuBefore);
      const elu = performance.eventLoopUtilization(eluBefore);
      loopDelay.disable();
      return {
        cpuPercent: ((cpu.user + cpu.system) / 1000 / (options.seconds * 1000)) * 100,
        elu: elu.utilization,
      };
    })();
    const [measured] = await Promise.all([
      window,
      Promise.all(Array.from({ length: options.clients }, client)),
    ]);
    const warm = samples.filter((s) => s.startedAt < measureFrom);
    return {
      strategy,
      windowSeconds: options.seconds,
      warmup: { started: warm.length, slow: warm.filter((s) => s.result?.pool === SLOW).length },
      // Requests completed inside the window (closed loop, steady state); the drain after it is not counted.
      samples: samples.filter((s) => s.finishedAt >= measureFrom && s.finishedAt <= endAt),
      cpuPercent: measured.cpuPercent,
      elu: measured.elu,
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    };
  } finally {
    player.close();
    await app.close();
  }
}

function report(options: Options, runs: readonly RunResult[]): string {
  const lines: string[] = [];
  lines.push(
    `${FAST}: time to first token ${options.fastTtft} ms, ${options.fastSlots} slots; ${SLOW}: ` +
      `${options.slowTtft} ms, ${options.slowSlots} slots (a FIFO queue behind them); both ` +
      `${options.tokensPerSecond} tokens/s, ${options.tokens} tokens per streamed answer. Policy order: ${SLOW}, ` +
      `${FAST}. ${options.clients} closed-loop clients, ${options.warmup} s warm-up, ${options.seconds} s measured ` +
      `per strategy (requests completed in the window), a fresh router each.\n`,
  );
  const rows: string[][] = [];
  const p99 = new Map<StrategyName, number>();
  for (const run of runs) {
    const ok = run.samples.filter((s) => s.result && s.result.status === 200);
    const failed = run.samples.length - ok.length;
    const totals = ok.map((s) => s.result?.totalMs as number).sort((x, y) => x - y);
    const firsts = ok
      .map((s) => s.result?.firstChunkMs)
      .filter((x): x is number => x !== undefined)
      .sort((x, y) => x - y);
    const share = (pool: string) => ok.filter((s) => s.result?.pool === pool).length / Math.max(1, ok.length);
    const poolP50 = (pool: string) =>
      percentile(
        ok
          .filter((s) => s.result?.pool === pool)
          .map((s) => s.result?.totalMs as number)
          .sort((x, y) => x - y),
        0.5,
      );
    p99.set(run.strategy, percentile(totals, 0.99));
    rows.push([
      run.strategy,
      fmt(ok.length),
      fmt(ok.length / run.windowSeconds, 1),
      fmt(percentile(totals, 0.5)),
      fmt(percentile(totals, 0.99)),
      fmt(percentile(firsts, 0.5)),
      `${fmt(share(FAST) * 100, 1)} / ${fmt(share(SLOW) * 100, 1)}`,
      `${fmt(poolP50(FAST))} / ${fmt(poolP50(SLOW))}`,
      `${failed}`,
      `${fmt(run.cpuPercent)} % / ${fmt(run.elu * 100)} % / ${fmt(run.loopDelayP99Ms, 1)}`,
    ]);
  }
  lines.push(
    table(
      [
        'strategy',
        'requests',
        'req/s',
        'p50 ms',
        'p99 ms',
        'first chunk p50 ms',
        `share % ${FAST} / ${SLOW}`,
        'p50 ms per pool (fast / slow)',
        'failed',
        'CPU / loop busy / loop delay p99 ms',
      ],
      rows,
    ),
  );
  const ordered = p99.get('ordered');
  if (ordered !== undefined) {
    lines.push('');
    for (const [strategy, value] of p99) {
      if (strategy === 'ordered') continue;
      lines.push(
        `p99 ordered / ${strategy} = ${fmt(ordered, 0)} / ${fmt(value, 0)} ms = ${fmt(ordered / value, 2)}×`,
      );
    }
  }
  lines.push('');
  for (const run of runs)
    lines.push(
      `${run.strategy}: during the warm-up ${fmt(run.warmup.slow)} of ${fmt(run.warmup.started)} requests went to ${SLOW}`,
    );
  const busiest = Math.max(...runs.map((r) => r.elu));
  if (busiest > 0.8)
    lines.push(
      `\nNote: the event loop (stubs, router and clients share it) was ${fmt(busiest * 100)} % busy in one run: ` +
        'latencies there include waiting for the loop; use fewer --clients or --tokens for cleaner figures.',
    );
  for (const run of runs) {
    const errors = new Map<string, number>();
    for (const s of run.samples) {
      const problem =
        s.error ?? (s.result && s.result.status !== 200 ? `status ${s.result.status}` : undefined);
      if (problem) errors.set(problem, (errors.get(problem) ?? 0) + 1);
    }
    for (const [problem, n] of errors) lines.push(`${run.strategy}: ${n} × ${problem}`);
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<number> {
  const options = readOptions();
  const stubs = new Map<string, Server>([
    [
      FAST,
      createStubServer({
        pool: FAST,
        model: MODEL,
        ttftMs: options.fastTtft,
        tokensPerSecond: options.tokensPerSecond,
        completionTokens: options.tokens,
        maxConcurrency: options.fastSlots,
      }),
    ],
    [
      SLOW,
      createStubServer({
        pool: SLOW,
        model: MODEL,
        ttftMs: options.slowTtft,
        tokensPerSecond: options.tokensPerSecond,
        completionTokens: options.tokens,
        maxConcurrency: options.slowSlots,
      }),
    ],
  ]);
  const ports = new Map<string, number>();
  const dir = mkdtempSync(path.join(tmpdir(), 'pool-choice-'));
  try {
    for (const [pool, server] of stubs) ports.set(pool, await listen(server));
    const runs: RunResult[] = [];
    for (const strategy of options.strategies) {
      process.stderr.write(`${strategy}: ${options.warmup + options.seconds} s of load\n`);
      runs.push(await runStrategy(strategy, options, ports, dir));
    }
    process.stdout.write(report(options, runs));
    return runs.some((r) => r.samples.length === 0 || r.samples.some((s) => s.error)) ? 1 : 0;
  } finally {
    for (const server of stubs.values()) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`pool-choice: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
