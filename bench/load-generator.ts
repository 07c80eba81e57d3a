// Load generator process: drives one ext_proc server with the benchmark's request mix through warm-up, a
// concurrency-1 latency phase and fixed-duration throughput phases, measuring the server's CPU from /proc.
// The simulated requests run in worker threads (each with its own gRPC connections) so that the generator's
// gRPC client is not limited to one core. Prints one GeneratorResult as JSON on stdout; progress on stderr.
// Usage: node --import tsx bench/load-generator.ts --target HOST:PORT --pid SERVER_PID [--verify router|noop]
//        [--data DIR]
// Env: BENCH_SECONDS (5), BENCH_WARMUP_SECONDS (10), BENCH_LATENCY_REQUESTS (2000), BENCH_CONCURRENCY (16,64),
//      BENCH_CLIENT (grpc-js | http2), BENCH_GENERATOR_THREADS (2), BENCH_CHANNELS (2),
//      BENCH_WORKLOAD_SIZE (2000), BENCH_SEED (42), BENCH_DATA (../shared/data)
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { VerifyMode } from './ext-proc-exchange.ts';
import { loadExtProcDefinition, REPO_ROOT } from './ext-proc-proto.ts';
import { machineBusyMs, processCpuMs, processMemory } from './proc-stats.ts';
import { type GeneratorResult, type PhaseMeasurement, summarizeLatency } from './results.ts';
import type {
  ClientKind,
  PhaseCommand,
  PhaseSample,
  WorkerCommand,
  WorkerInit,
  WorkerReply,
} from './worker-protocol.ts';
import { buildWorkload, summarizeWorkload, type WorkItem } from './workload.ts';

interface GeneratorOptions {
  readonly target: string;
  readonly pid: number;
  readonly verify: VerifyMode;
  readonly client: ClientKind;
  readonly dataDir: string;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly latencyRequests: number;
  readonly concurrency: readonly number[];
  readonly channels: number;
  readonly threads: number;
  readonly workloadSize: number;
  readonly seed: number;
}

interface PhaseSpec {
  readonly name: string;
  readonly concurrency: number;
  readonly requests?: number;
  readonly seconds?: number;
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
}

function readOptions(): GeneratorOptions {
  const { values } = parseArgs({
    options: {
      target: { type: 'string' },
      pid: { type: 'string' },
      verify: { type: 'string', default: 'noop' },
      data: { type: 'string' },
    },
  });
  if (!values.target || !values.pid) throw new Error('usage: load-generator --target HOST:PORT --pid PID');
  if (values.verify !== 'noop' && values.verify !== 'router')
    throw new Error('--verify must be noop or router');
  const concurrency = (process.env.BENCH_CONCURRENCY ?? '16,64')
    .split(',')
    .map((part) => Number(part.trim()));
  if (concurrency.some((value) => !Number.isInteger(value) || value < 1))
    throw new Error('BENCH_CONCURRENCY must list positive integers, e.g. 16,64');
  const threads = Math.max(1, Math.floor(envNumber('BENCH_GENERATOR_THREADS', 2)));
  const client = process.env.BENCH_CLIENT ?? 'grpc-js';
  if (client !== 'grpc-js' && client !== 'http2') throw new Error('BENCH_CLIENT must be grpc-js or http2');
  return {
    target: values.target,
    pid: Number(values.pid),
    verify: values.verify,
    client,
    dataDir: path.resolve(REPO_ROOT, values.data ?? process.env.BENCH_DATA ?? '../shared/data'),
    seconds: envNumber('BENCH_SECONDS', 5),
    // The servers are measured warm, as they serve: after 2 s the router's CPU per request still carried ~10 %
    // of JIT compilation and not-yet-optimised code (2026-12-03: 277-282 µs after 2 s, 251-254 µs after 10 or 20 s).
    warmupSeconds: envNumber('BENCH_WARMUP_SECONDS', 10),
    latencyRequests: Math.floor(envNumber('BENCH_LATENCY_REQUESTS', 2000)),
    concurrency,
    threads,
    channels: Math.max(threads, Math.floor(envNumber('BENCH_CHANNELS', 2))),
    workloadSize: Math.max(1, Math.floor(envNumber('BENCH_WORKLOAD_SIZE', 2000))),
    seed: Math.floor(envNumber('BENCH_SEED', 42)),
  };
}

function progress(message: string): void {
  process.stderr.write(`  [load-generator] ${message}\n`);
}

/** One worker thread and a promise-based view of its replies. */
class WorkerHandle {
  private pending: ((reply: WorkerReply) => void) | undefined;
  private failure: Error | undefined;

  constructor(private readonly worker: Worker) {
    worker.on('message', (reply: WorkerReply) => this.settle(reply));
    worker.on('error', (error) => {
      this.failure = error;
      this.settle({ type: 'failed', message: error.message });
    });
    worker.on('exit', (code) => {
      if (code === 0) return;
      this.failure ??= new Error(`load-generator worker exited with code ${code}`);
      this.settle({ type: 'failed', message: this.failure.message });
    });
  }

  /** The next reply (after sending `command`, if given). */
  async next(command?: WorkerCommand): Promise<WorkerReply> {
    if (this.failure) throw this.failure;
    const reply = new Promise<WorkerReply>((resolve) => {
      this.pending = resolve;
    });
    if (command) this.worker.postMessage(command);
    const answer = await reply;
    if (answer.type === 'failed') throw new Error(`load-generator worker: ${answer.message}`);
    return answer;
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }

  private settle(reply: WorkerReply): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.(reply);
  }
}

// Node 20 does not apply `--import tsx` to worker threads: the worker registers tsx, then loads the module.
const WORKER_BOOTSTRAP = `import('tsx/esm/api').then(({ register }) => {
  register();
  return import(${JSON.stringify(new URL('./generator-worker.ts', import.meta.url).href)});
});`;

function startWorkers(options: GeneratorOptions, workload: readonly WorkItem[]): WorkerHandle[] {
  return Array.from({ length: options.threads }, (_, thread) => {
    const init: WorkerInit = {
      target: options.target,
      client: options.client,
      verify: options.verify,
      channelIndexes: Array.from({ length: options.channels }, (_, index) => index).filter(
        (index) => index % options.threads === thread,
      ),
      firstItem: thread,
      itemStride: options.threads,
      workload,
    };
    return new WorkerHandle(new Worker(WORKER_BOOTSTRAP, { eval: true, workerData: init }));
  });
}

/** Splits a phase's concurrency over the workers; a request-count phase runs on the first worker only. */
function commandsFor(spec: PhaseSpec, workers: number): (PhaseCommand | undefined)[] {
  return Array.from({ length: workers }, (_, index) => {
    if (spec.requests !== undefined)
      return index === 0
        ? { type: 'phase', concurrency: spec.concurrency, requests: spec.requests }
        : undefined;
    const share = Math.floor(spec.concurrency / workers) + (index < spec.concurrency % workers ? 1 : 0);
    return share > 0 ? { type: 'phase', concurrency: share, seconds: spec.seconds ?? 0 } : undefined;
  });
}

/** How long a phase may overrun its duration (a request-count phase: its whole time) before it fails. */
const PHASE_GRACE_SECONDS = 60;

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function runPhase(
  spec: PhaseSpec,
  workers: readonly WorkerHandle[],
  pid: number,
): Promise<{ measurement: PhaseMeasurement; samples: PhaseSample[] }> {
  const commands = commandsFor(spec, workers.length);
  const cpuBefore = processCpuMs(pid);
  const machineBefore = machineBusyMs();
  const ownBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const replies = await withTimeout(
    Promise.all(
      workers.map((worker, index) => {
        const command = commands[index];
        return command ? worker.next(command) : undefined;
      }),
    ),
    ((spec.seconds ?? 0) + PHASE_GRACE_SECONDS) * 1000,
    `phase ${spec.name} did not finish: the server stopped answering`,
  );
  const wallMs = performance.now() - wallBefore;
  // process.cpuUsage() covers all threads of this process.
  const own = process.cpuUsage(ownBefore);
  const serverCpuMs = processCpuMs(pid) - cpuBefore;
  const machineMs = machineBusyMs() - machineBefore;
  const samples = replies.flatMap((reply) => (reply?.type === 'sample' ? [reply.sample] : []));
  const durations = samples.flatMap((sample) => Array.from(sample.durationsMs));
  const failures = samples.reduce((sum, sample) => sum + sample.failures, 0);
  const ownCpuMs = (own.user + own.system) / 1000;
  const requests = durations.length;
  const measurement: PhaseMeasurement = {
    name: spec.name,
    concurrency: spec.concurrency,
    requests,
    failures,
    seconds: wallMs / 1000,
    requestsPerSecond: requests / (wallMs / 1000),
    latency: summarizeLatency(durations),
    serverCpuMs,
    serverCpuUsPerRequest: (serverCpuMs * 1000) / Math.max(1, requests),
    serverCpuPercent: (serverCpuMs / wallMs) * 100,
    generatorCpuPercent: (ownCpuMs / wallMs) * 100,
    generatorCpuUsPerRequest: (ownCpuMs * 1000) / Math.max(1, requests),
    otherCpuPercent: (Math.max(0, machineMs - serverCpuMs - ownCpuMs) / wallMs) * 100,
  };
  progress(
    `${spec.name}: ${requests} requests in ${measurement.seconds.toFixed(1)} s = ` +
      `${Math.round(measurement.requestsPerSecond)} req/s, p50 ${measurement.latency.p50Ms.toFixed(2)} ms, ` +
      `server CPU ${Math.round(measurement.serverCpuPercent)} %, generator CPU ` +
      `${Math.round(measurement.generatorCpuPercent)} %, other processes ` +
      `${Math.round(measurement.otherCpuPercent)} %${failures ? `, ${failures} failed` : ''}`,
  );
  return { measurement, samples };
}

async function main(): Promise<void> {
  const options = readOptions();
  const definition = loadExtProcDefinition();
  const workload = buildWorkload({
    dataDir: options.dataDir,
    size: options.workloadSize,
    seed: options.seed,
    encode: (message) => definition.process.requestSerialize(message),
  });
  const workers = startWorkers(options, workload);
  try {
    await Promise.all(workers.map((worker) => worker.next()));
    progress(
      `target ${options.target} (pid ${options.pid}), ${workload.length} distinct requests, ` +
        `${options.client} client, ${options.threads} threads, ${options.channels} connections`,
    );
    const specs: PhaseSpec[] = [
      ...(options.warmupSeconds > 0
        ? [{ name: 'warm-up', concurrency: 16, seconds: options.warmupSeconds }]
        : []),
      { name: 'c1', concurrency: 1, requests: options.latencyRequests },
      ...options.concurrency.map((concurrency) => ({
        name: `c${concurrency}`,
        concurrency,
        seconds: options.seconds,
      })),
    ];
    const phases: PhaseMeasurement[] = [];
    const problems = new Map<string, number>();
    const routedTo = new Map<string, number>();
    let errors = 0;
    let mismatches = 0;
    for (const spec of specs) {
      const { measurement, samples } = await runPhase(spec, workers, options.pid);
      if (spec.name !== 'warm-up') phases.push(measurement);
      for (const sample of samples) {
        errors += sample.errors;
        mismatches += sample.mismatches;
        for (const [problem, count] of sample.problems)
          problems.set(problem, (problems.get(problem) ?? 0) + count);
        if (spec.name === 'warm-up') continue;
        for (const [model, count] of sample.routedTo) routedTo.set(model, (routedTo.get(model) ?? 0) + count);
      }
    }
    const throughput = phases.filter((phase) => phase.concurrency > 1);
    const cpuMs = throughput.reduce((sum, phase) => sum + phase.serverCpuMs, 0);
    const throughputRequests = throughput.reduce((sum, phase) => sum + phase.requests, 0);
    const memory = processMemory(options.pid);
    await Promise.all(workers.map((worker) => worker.next({ type: 'close' })));
    const result: GeneratorResult = {
      target: options.target,
      verify: options.verify,
      serverPid: options.pid,
      client: options.client,
      channels: options.channels,
      threads: options.threads,
      cores: availableParallelism(),
      workload: summarizeWorkload(workload),
      phases,
      cpuUsPerRequest: (cpuMs * 1000) / Math.max(1, throughputRequests),
      rssMb: memory.rssMb,
      peakRssMb: memory.peakRssMb,
      requests: phases.reduce((sum, phase) => sum + phase.requests, 0),
      errors,
      mismatches,
      problems: Object.fromEntries(problems),
      routedTo: Object.fromEntries([...routedTo].sort((a, b) => b[1] - a[1])),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

try {
  await main();
} catch (error) {
  process.stderr.write(`load-generator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
