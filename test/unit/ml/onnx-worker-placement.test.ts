// Where the session pool runs models: inline when cheap, in worker threads when slow; workers crash and close safely.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawnInferenceWorker } from '../../../src/ml/inference-worker-pool.ts';
import {
  type Feeds,
  InferenceError,
  type OnnxModelHandle,
  OnnxSessionPool,
  type OnnxSessionPoolOptions,
  SessionPoolClosedError,
} from '../../../src/ml/onnx-session-pool.ts';
import { PROBE_LENGTH, probeFeeds } from '../../../src/ml/probe-feeds.ts';
import { OnnxGraphBuilder } from '../../../src/training/onnx-writer.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'onnx-placement-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pools: OnnxSessionPool[] = [];
function newPool(options: OnnxSessionPoolOptions = {}): OnnxSessionPool {
  const pool = new OnnxSessionPool(options);
  pools.push(pool);
  return pool;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

const CRASHING_WORKER = `const { parentPort } = require('node:worker_threads');
parentPort.on('message', (request) => {
  if (request.kind === 'load') {
    parentPort.postMessage({ kind: 'loaded', id: request.id, inputNames: ['x'], outputNames: ['y'] });
  } else if (request.kind === 'run') {
    setTimeout(() => { throw new Error('simulated crash'); }, 5);
  }
});`;

/** A pool whose spawned workers the test can see (and kill). */
function observedPool(options: OnnxSessionPoolOptions = {}): { pool: OnnxSessionPool; workers: Worker[] } {
  const workers: Worker[] = [];
  const spawnWorker = () => {
    const worker = spawnInferenceWorker();
    workers.push(worker);
    return worker;
  };
  return { pool: newPool({ ...options, spawnWorker }), workers };
}

function writeModel(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

/** y = x · w: a few hundred nanoseconds of work. */
const TINY = writeModel(
  'tiny.onnx',
  new OnnxGraphBuilder({ name: 'tiny' })
    .input('x', 'float32', ['batch', 4])
    .initializer(
      'w',
      Float32Array.from({ length: 8 }, (_, i) => i / 8 - 0.5),
      [4, 2],
    )
    .node('MatMul', ['x', 'w'], ['y'])
    .output('y', 'float32', ['batch', 2])
    .toBytes(),
);

const ROWS = 128;
const WIDTH = 512;

/** DEPTH × (MatMul [128, 512]·[512, 512] + Tanh): about 40 ms per run on one core. The shape is fixed, so the
 * pool's timing run costs what a real one does. */
const DEPTH = 64;
const SLOW = writeModel('slow.onnx', slowModel());

function slowModel(): Uint8Array {
  const w = Float32Array.from({ length: WIDTH * WIDTH }, (_, i) => (((i * 7919) % 200) - 100) / 2_000);
  const builder = new OnnxGraphBuilder({ name: 'slow' })
    .input('x', 'float32', [ROWS, WIDTH])
    .initializer('w', w, [WIDTH, WIDTH]);
  let last = 'x';
  for (let k = 0; k < DEPTH; k++) {
    builder.node('MatMul', [last, 'w'], [`product_${k}`]).node('Tanh', [`product_${k}`], [`hidden_${k}`]);
    last = `hidden_${k}`;
  }
  return builder.node('Identity', [last], ['y']).output('y', 'float32', [ROWS, WIDTH]).toBytes();
}

const tinyFeeds = (...values: number[]): Feeds => ({
  x: new ort.Tensor('float32', Float32Array.from(values), [values.length / 4, 4]),
});
const slowFeeds = (): Feeds => ({
  x: new ort.Tensor(
    'float32',
    Float32Array.from({ length: ROWS * WIDTH }, (_, i) => Math.sin(i)),
    [ROWS, WIDTH],
  ),
});

function floats(outputs: Feeds): Float32Array {
  const data = outputs.y?.data;
  if (!(data instanceof Float32Array)) throw new Error('no float32 output y');
  return data;
}

/**
 * Runs `handle` `runs` times back to back while a 1 ms interval ticks: run times, the longest tick gap, and the
 * median number of ticks the event loop ran while a run was in progress.
 */
async function tickedRuns(handle: OnnxModelHandle, feeds: Feeds, runs: number) {
  let last = performance.now();
  let maxGapMs = 0;
  let ticksInRun = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
    ticksInRun++;
  }, 1);
  const runMs: number[] = [];
  const ticks: number[] = [];
  try {
    for (let k = 0; k < runs; k++) {
      const started = performance.now();
      ticksInRun = 0;
      await handle.run(feeds);
      ticks.push(ticksInRun);
      runMs.push(performance.now() - started);
    }
  } finally {
    clearInterval(ticker);
  }
  runMs.sort((a, b) => a - b);
  ticks.sort((a, b) => a - b);
  return {
    medianMs: runMs[Math.floor(runs / 2)] ?? 0,
    maxGapMs,
    medianTicks: ticks[Math.floor(runs / 2)] ?? 0,
  };
}

describe('OnnxSessionPool placement', () => {
  it('keeps a model cheaper than a worker hop on the main thread under auto', async () => {
    const pool = newPool();
    const handle = await pool.acquire(TINY);
    expect(handle.placement).toBe('main');
    expect([...floats(await handle.run(tinyFeeds(1, 2, 3, 4)))]).toEqual([0, 1.25]);
  });

  it('moves a model slower than workerThresholdMs to a worker', async () => {
    const handle = await newPool({ workerThresholdMs: 0 }).acquire(TINY);
    expect(handle.placement).toBe('worker');
    expect([...floats(await handle.run(tinyFeeds(1, 2, 3, 4)))]).toEqual([0, 1.25]);
  });

  it('times models on zero inputs shaped as declared, and cannot time string inputs', () => {
    const feeds = probeFeeds([
      { name: 'input_ids', isTensor: true, type: 'int64', shape: ['batch', 'sequence'] },
      { name: 'mask', isTensor: true, type: 'bool', shape: ['batch', 'sequence', 3] },
      { name: 'scale', isTensor: true, type: 'float32', shape: [] },
    ]);
    expect(feeds?.input_ids?.dims).toEqual([1, PROBE_LENGTH]);
    expect(feeds?.input_ids?.data).toEqual(new BigInt64Array(PROBE_LENGTH));
    expect(feeds?.mask?.dims).toEqual([1, PROBE_LENGTH, 3]);
    expect(feeds?.scale?.data).toEqual(new Float32Array(1));
    expect(probeFeeds([{ name: 'text', isTensor: true, type: 'string', shape: ['batch'] }])).toBeUndefined();
  });

  it('moves a slow model to a worker under auto, with exactly the main thread results', async () => {
    const pool = newPool();
    const [auto, inline] = await Promise.all([pool.acquire(SLOW), pool.acquire(SLOW, { placement: 'main' })]);
    expect(auto.placement).toBe('worker');
    expect(inline.placement).toBe('main');
    expect(pool.size).toBe(2);
    expect(auto.inputNames).toEqual(['x']);
    expect(auto.outputNames).toEqual(['y']);
    const feeds = slowFeeds();
    const [fromWorker, fromMain] = [floats(await auto.run(feeds)), floats(await inline.run(feeds))];
    expect(fromWorker.length).toBe(ROWS * WIDTH);
    expect(Buffer.from(fromWorker.buffer).equals(Buffer.from(fromMain.buffer))).toBe(true);
    expect(feeds.x?.data).toHaveLength(ROWS * WIDTH);
  });

  it('keeps the event loop ticking while a worker runs a slow model, unlike the main thread', async () => {
    const pool = newPool();
    const [worker, inline] = await Promise.all([
      pool.acquire(SLOW, { placement: 'worker' }),
      pool.acquire(SLOW, { placement: 'main' }),
    ]);
    const feeds = slowFeeds();
    await Promise.all([worker.run(feeds), inline.run(feeds)]);
    const onMain = await tickedRuns(inline, feeds, 10);
    const onWorker = await tickedRuns(worker, feeds, 20);
    console.info(
      `slow model: ${onMain.medianMs.toFixed(1)} ms per run on main (max tick gap ${onMain.maxGapMs.toFixed(1)} ms), ` +
        `${onWorker.medianMs.toFixed(1)} ms in a worker (max tick gap ${onWorker.maxGapMs.toFixed(1)} ms)`,
    );
    console.info(`ticks per run: ${onMain.medianTicks} on main, ${onWorker.medianTicks} in a worker`);
    // A run on the main thread blocks the loop for (about) all of it; load only makes that gap longer.
    expect(onMain.maxGapMs).toBeGreaterThanOrEqual(0.8 * onMain.medianMs);
    // Counted rather than timed: a busy machine may stall any thread, but only a worker run lets the loop tick.
    expect(onWorker.medianTicks).toBeGreaterThan(4 * Math.max(1, onMain.medianTicks));
  });

  it('rejects a failing worker inference with InferenceError and keeps serving', async () => {
    const handle = await newPool({ placement: 'worker' }).acquire(TINY);
    expect(handle.placement).toBe('worker');
    const wrong = { x: new ort.Tensor('int32', Int32Array.from([1, 2, 3, 4]), [1, 4]) };
    const error = await handle.run(wrong).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InferenceError);
    expect(String(error)).toContain(`inference with ${TINY} failed`);
    expect([...floats(await handle.run(tinyFeeds(1, 2, 3, 4, 0, 0, 0, 2)))]).toEqual([0, 1.25, 0.5, 0.75]);
  });

  it('rejects the calls of a crashed worker and serves later ones from a replacement', async () => {
    // The first worker is a fake that loads anything and crashes on its first run; later ones are real. (A real
    // worker cannot be killed mid-run: terminate() during a native ONNX Runtime call aborts the process.)
    const workers: Worker[] = [];
    const spawnWorker = () => {
      const worker =
        workers.length === 0 ? new Worker(CRASHING_WORKER, { eval: true }) : spawnInferenceWorker();
      workers.push(worker);
      return worker;
    };
    const pool = newPool({ placement: 'worker', spawnWorker });
    const handle = await pool.acquire(TINY);
    const outcomes = await Promise.allSettled([
      handle.run(tinyFeeds(1, 2, 3, 4)),
      handle.run(tinyFeeds(4, 3, 2, 1)),
    ]);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: expect.any(InferenceError) });
      if (outcome.status === 'rejected') {
        expect(String(outcome.reason)).toMatch(/inference worker crashed \(exit code 1: simulated crash\)/);
      }
    }
    expect([...floats(await handle.run(tinyFeeds(1, 2, 3, 4)))]).toEqual([0, 1.25]);
    expect(workers).toHaveLength(2);
  });

  it('spreads worker-placed models over inferenceWorkers threads and terminates them on close', async () => {
    const { pool, workers } = observedPool({ inferenceWorkers: 2, placement: 'worker' });
    const [a, b] = await Promise.all([pool.acquire(TINY), pool.acquire(SLOW)]);
    expect(workers).toHaveLength(2);
    const exits = workers.map((w) => new Promise((resolve) => w.once('exit', resolve)));
    const running = b?.run(slowFeeds()).catch((e: unknown) => e);
    await pool.close();
    await Promise.all(exits);
    expect(await running).toBeInstanceOf(InferenceError);
    await expect(a?.run(tinyFeeds(1, 2, 3, 4))).rejects.toThrow(SessionPoolClosedError);
  });

  it('never keeps the process alive: an idle pool exits without close(), a closed one too', async () => {
    const poolModule = new URL('../../../src/ml/onnx-session-pool.ts', import.meta.url).href;
    const script = writeModel(
      'exits.mts',
      Buffer.from(`import * as ort from ${JSON.stringify(import.meta.resolve('onnxruntime-node'))};
import { OnnxSessionPool } from ${JSON.stringify(poolModule)};
const x = { x: new ort.Tensor('float32', new Float32Array(4), [1, 4]) };
const idle = new OnnxSessionPool({ placement: 'worker' });
await (await idle.acquire(${JSON.stringify(TINY)})).run(x);
const closed = new OnnxSessionPool({ placement: 'worker' });
await (await closed.acquire(${JSON.stringify(TINY)})).run(x);
await closed.close();
console.log('done');
`),
    );
    const cwd = fileURLToPath(new URL('../../..', import.meta.url));
    const { error, stdout } = await new Promise<{ error: Error | null; stdout: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', script], { cwd, timeout: 8_000 }, (error, out) =>
        resolve({ error, stdout: out }),
      );
    });
    expect(error).toBeNull();
    expect(stdout.trim()).toBe('done');
  });
});
