// Session sharing, model file errors, closing, and micro-batching over real ONNX Runtime sessions.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RouterError } from '../../../src/errors.ts';
import { MicroBatcher } from '../../../src/ml/micro-batcher.ts';
import {
  type Feeds,
  InferenceError,
  ModelFileError,
  OnnxSessionPool,
  SessionPoolClosedError,
} from '../../../src/ml/onnx-session-pool.ts';
import { attr, OnnxGraphBuilder } from '../../../src/training/onnx-writer.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'onnx-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pools: OnnxSessionPool[] = [];
function newPool(): OnnxSessionPool {
  const pool = new OnnxSessionPool();
  pools.push(pool);
  return pool;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

function writeModel(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

/** Embedding bag classifier: input_ids [batch, sequence] → logits [batch, 2]. */
function bagModel(scale = 1): Uint8Array {
  return new OnnxGraphBuilder({ name: 'bag' })
    .input('input_ids', 'int64', ['batch', 'sequence'])
    .initializer('embeddings', Float32Array.from([0, 0, 1, 2, 3, -1, -2, 4].map((v) => v * scale)), [4, 2])
    .initializer('w', Float32Array.from([1, -1, 0.5, 2]), [2, 2])
    .node('Gather', ['embeddings', 'input_ids'], ['embedded'])
    .node('ReduceMean', ['embedded'], ['pooled'], { axes: attr.ints([1]), keepdims: attr.int(0) })
    .node('MatMul', ['pooled', 'w'], ['logits'])
    .output('logits', 'float32', ['batch', 2])
    .toBytes();
}

/** A model whose output has no batch dimension: total = ReduceSum(x) over all axes. */
function sumModel(): Uint8Array {
  return new OnnxGraphBuilder({ name: 'sum' })
    .input('x', 'float32', ['batch', 2])
    .node('ReduceSum', ['x'], ['total'], { keepdims: attr.int(0) })
    .output('total', 'float32', [])
    .toBytes();
}

function ids(rows: number[][]): Feeds {
  return {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [
      rows.length,
      rows[0]?.length ?? 0,
    ]),
  };
}

function values(feeds: Feeds, name: string): number[] {
  const data = feeds[name]?.data;
  if (!(data instanceof Float32Array)) throw new Error(`no float32 output '${name}'`);
  return [...data];
}

describe('OnnxSessionPool', () => {
  it('shares one session per file between holders and releases it with the last one', async () => {
    const file = writeModel('shared.onnx', bagModel());
    const pool = newPool();
    const [a, b] = await Promise.all([pool.acquire(file), pool.acquire(file)]);
    if (a === undefined || b === undefined) throw new Error('acquire failed');
    expect(pool.size).toBe(1);
    expect(a.inputNames).toEqual(['input_ids']);
    expect(a.outputNames).toEqual(['logits']);
    await a.warmUp(ids([[1]]));
    await a.release();
    await a.release();
    expect(pool.size).toBe(1);
    expect(values(await b.run(ids([[1, 2]])), 'logits')).toEqual([2.25, -1]);
    await expect(a.run(ids([[1]]))).rejects.toThrow(SessionPoolClosedError);
    await b.release();
    expect(pool.size).toBe(0);
  });

  it('loads a new session when the file changes, keeping the old one for its holders', async () => {
    const file = writeModel('changing.onnx', bagModel(1));
    const pool = newPool();
    const old = await pool.acquire(file);
    writeFileSync(file, bagModel(2));
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    const fresh = await pool.acquire(file);
    expect(pool.size).toBe(2);
    expect(values(await old.run(ids([[1]])), 'logits')).toEqual([2, 3]);
    expect(values(await fresh.run(ids([[1]])), 'logits')).toEqual([4, 6]);
  });

  it('keeps sessions with different thread options apart', async () => {
    const file = writeModel('threads.onnx', bagModel());
    const pool = newPool();
    await pool.acquire(file, { intraOpNumThreads: 1 });
    const two = await pool.acquire(file, { intraOpNumThreads: 2, interOpNumThreads: 2 });
    expect(pool.size).toBe(2);
    expect(values(await two.run(ids([[2]])), 'logits')).toEqual([2.5, -5]);
  });

  it('reports a missing model file as a ModelFileError naming the file', async () => {
    const file = path.join(dir, 'does-not-exist.onnx');
    const error = await newPool()
      .acquire(file)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFileError);
    expect(error).toBeInstanceOf(RouterError);
    expect(error).toMatchObject({ file, code: 'invalid_policy' });
    expect(String(error)).toContain(`${file}: not found`);
  });

  it('reports a corrupt model file as a ModelFileError naming the file, and can retry later', async () => {
    const file = writeModel('corrupt.onnx', randomBytes(256));
    const pool = newPool();
    const error = await pool.acquire(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFileError);
    expect(String(error)).toContain(`${file}: is not a valid ONNX model`);
    expect(pool.size).toBe(0);
    writeFileSync(file, bagModel());
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    expect((await pool.acquire(file)).outputNames).toEqual(['logits']);
  });

  it('rejects relative paths and directories', async () => {
    const pool = newPool();
    await expect(pool.acquire('models/x.onnx')).rejects.toThrow(/models\/x.onnx: path must be absolute/);
    await expect(pool.acquire(dir)).rejects.toThrow(ModelFileError);
  });

  it('wraps a failing inference in InferenceError', async () => {
    const handle = await newPool().acquire(writeModel('fail.onnx', bagModel()));
    const wrong = { input_ids: new ort.Tensor('float32', Float32Array.from([1]), [1, 1]) };
    await expect(handle.run(wrong)).rejects.toThrow(InferenceError);
  });

  it('refuses to load or run after close', async () => {
    const file = writeModel('closing.onnx', bagModel());
    const pool = newPool();
    const handle = await pool.acquire(file);
    await pool.close();
    expect(pool.size).toBe(0);
    await expect(pool.acquire(file)).rejects.toThrow(SessionPoolClosedError);
    await expect(handle.run(ids([[1]]))).rejects.toThrow(SessionPoolClosedError);
    await handle.release();
  });
});

describe('MicroBatcher', () => {
  async function counted(model: Uint8Array) {
    const handle = await newPool().acquire(writeModel(`batch-${randomBytes(4).toString('hex')}.onnx`, model));
    const batches: number[] = [];
    const run = (feeds: Feeds) => {
      batches.push(Object.values(feeds)[0]?.dims[0] ?? 0);
      return handle.run(feeds);
    };
    return { handle, run, batches };
  }

  const requests = [
    [1, 2, 3],
    [3, 3, 0],
    [2, 2, 2],
    [0, 1, 3],
    [1, 1, 1],
  ];

  it('merges concurrent requests into one run with the same results as unbatched runs', async () => {
    const { handle, run, batches } = await counted(bagModel());
    const batcher = new MicroBatcher(run, { windowMs: 5 });
    const batched = await Promise.all(requests.map((r) => batcher.infer(ids([r]))));
    expect(batches).toEqual([5]);
    for (const [k, r] of requests.entries()) {
      const alone = await handle.run(ids([r]));
      expect(batched[k]?.logits?.dims).toEqual([1, 2]);
      expect(values(batched[k] ?? {}, 'logits')).toEqual(values(alone, 'logits'));
    }
  });

  it('by default batches calls of the same event-loop turn and those queued behind a running batch, without waiting', async () => {
    const { run, batches } = await counted(bagModel());
    const batcher = new MicroBatcher(run);
    await Promise.all(requests.slice(0, 3).map((r) => batcher.infer(ids([r]))));
    expect(batches).toEqual([3]);
    const first = batcher.infer(ids([requests[0] ?? []]));
    await new Promise((resolve) => setImmediate(resolve));
    const queued = requests.slice(1).map((r) => batcher.infer(ids([r])));
    await Promise.all([first, ...queued]);
    expect(batches).toEqual([3, 1, 4]);
  });

  it('runs at most maxBatch rows per inference, queueing the rest behind the running batch', async () => {
    const { run, batches } = await counted(bagModel());
    const batcher = new MicroBatcher(run, { windowMs: 1_000, maxBatch: 2 });
    const started = Date.now();
    await Promise.all(requests.map((r) => batcher.infer(ids([r]))));
    expect(batches).toEqual([2, 2, 1]);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('batches only requests of the same shape together', async () => {
    const { handle, run, batches } = await counted(bagModel());
    const batcher = new MicroBatcher(run);
    const inputs = [[[1, 2]], [[3]], [[2, 1]], [[1], [2]]];
    const out = await Promise.all(inputs.map((r) => batcher.infer(ids(r))));
    expect(batches.sort()).toEqual([2, 3]);
    for (const [k, r] of inputs.entries()) {
      expect(values(out[k] ?? {}, 'logits')).toEqual(values(await handle.run(ids(r)), 'logits'));
    }
  });

  it('rejects every caller of a failed batch with InferenceError', async () => {
    const cause = new Error('boom');
    const batcher = new MicroBatcher(() => Promise.reject(cause));
    const results = await Promise.allSettled([batcher.infer(ids([[1]])), batcher.infer(ids([[2]]))]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      if (result.status === 'rejected') {
        expect(result.reason).toBeInstanceOf(InferenceError);
        expect(result.reason).toMatchObject({ cause });
      }
    }
  });

  it('rejects a batch whose outputs have no batch dimension, and bad inputs at once', async () => {
    const { run } = await counted(sumModel());
    const batcher = new MicroBatcher(run);
    const x = (v: number) => ({ x: new ort.Tensor('float32', Float32Array.from([v, v]), [1, 2]) });
    const both = await Promise.allSettled([batcher.infer(x(1)), batcher.infer(x(2))]);
    expect(both.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(both[0]).toMatchObject({ reason: { message: expect.stringMatching(/output 'total'.*dim 0/) } });
    await expect(batcher.infer({})).rejects.toThrow(InferenceError);
    const scalar = { x: new ort.Tensor('float32', Float32Array.from([1]), []) };
    await expect(batcher.infer(scalar)).rejects.toThrow(/no batch dimension/);
  });
});
