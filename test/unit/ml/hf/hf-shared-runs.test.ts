// Concurrent callers of one Hugging Face model share model runs, and each gets exactly what its texts alone give.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  loadHfSequenceClassifier,
  loadHfSpanModel,
  loadHfTextEmbedder,
} from '../../../../src/ml/hf/index.ts';
import {
  type AcquireOptions,
  InferenceError,
  type OnnxModelHandle,
  OnnxSessionPool,
} from '../../../../src/ml/onnx-session-pool.ts';
import {
  CLASS_LABELS,
  featureExtractorOnnx,
  NER_LABELS,
  sequenceClassifierOnnx,
  tokenClassifierOnnx,
  writeHfDir,
} from './tiny-hf-models.ts';

/** A session pool whose handles record the rows of every run, and can hold runs back or fail the next one. */
class CountingPool extends OnnxSessionPool {
  runs: number[] = [];
  gate: Promise<void> | undefined;
  failNext: Error | undefined;

  override async acquire(file: string, options?: AcquireOptions): Promise<OnnxModelHandle> {
    const handle = await super.acquire(file, options);
    return {
      ...handle,
      run: async (feeds) => {
        this.runs.push(feeds.input_ids?.dims[0] ?? 0);
        await this.gate;
        const failure = this.failNext;
        this.failNext = undefined;
        if (failure !== undefined) throw failure;
        return handle.run(feeds);
      },
    };
  }
}

const root = mkdtempSync(path.join(tmpdir(), 'hf-shared-'));
const pool = new CountingPool();
const closers: { close(): void }[] = [];

beforeEach(() => {
  pool.runs = [];
  pool.gate = undefined;
  pool.failNext = undefined;
});

afterAll(async () => {
  for (const c of closers) c.close();
  await pool.close();
  rmSync(root, { recursive: true, force: true });
});

function track<T extends { close(): void }>(model: T): T {
  closers.push(model);
  return model;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Texts of very different token counts, so shared runs pad most rows. */
const TEXTS = [
  'integral',
  `fix my python compiler ${'word '.repeat(60)}`,
  '',
  'the cafe in paris',
  'solve this integral equation and the derivative theorem',
  'python',
  `${'a '.repeat(30)}recursion`,
  'john met anna in zurich',
];

/** `f`'s only result per text, calling it for one text at a time. */
async function oneByOne<R>(
  texts: readonly string[],
  f: (text: string) => Promise<R[]>,
): Promise<(R | undefined)[]> {
  const out: (R | undefined)[] = [];
  for (const text of texts) out.push((await f(text))[0]);
  return out;
}

function maxDelta(a: Float32Array | undefined, b: Float32Array | undefined): number {
  expect(a?.length).toBe(b?.length);
  return Math.max(0, ...[...(a ?? [])].map((v, k) => Math.abs(v - (b?.[k] ?? Number.NaN))));
}

async function classifier(name: string) {
  const dir = writeHfDir(path.join(root, name), { onnx: sequenceClassifierOnnx(true), labels: CLASS_LABELS });
  const model = track(await loadHfSequenceClassifier(pool, dir));
  pool.runs = [];
  return model;
}

describe('concurrent callers of one Hugging Face session', () => {
  it('8 concurrent classify([text]) calls make one run; each caller gets its text-alone probabilities', async () => {
    const model = await classifier('cls-8');
    const alone = await oneByOne(TEXTS, (text) => model.classify([text]));
    expect(pool.runs).toEqual(TEXTS.map(() => 1));
    pool.runs = [];
    const shared = await Promise.all(TEXTS.map((text) => model.classify([text])));
    expect(pool.runs).toEqual([TEXTS.length]);
    shared.forEach((probabilities, k) => {
      expect(probabilities).toHaveLength(1);
      expect(maxDelta(probabilities[0], alone[k])).toBeLessThan(1e-6);
    });
  });

  it('packs at most HF_BATCH texts per run: 32 concurrent calls make 1 run, 40 make 32 + 8', async () => {
    const model = await classifier('cls-32');
    const texts = (n: number) => Array.from({ length: n }, (_, k) => TEXTS[k % TEXTS.length] ?? '');
    await Promise.all(texts(32).map((text) => model.classify([text])));
    expect(pool.runs).toEqual([32]);
    pool.runs = [];
    await Promise.all(texts(40).map((text) => model.classify([text])));
    expect(pool.runs).toEqual([32, 8]);
  });

  it('a caller with many texts spans runs, shares the last with others, and gets its rows in order', async () => {
    const model = await classifier('cls-span');
    const many = Array.from({ length: 40 }, (_, k) => TEXTS[(k * 3) % TEXTS.length] ?? '');
    const alone = await model.classify(many);
    const single = (await model.classify(['python compiler']))[0];
    pool.runs = [];
    const [bulk, ...singles] = await Promise.all([
      model.classify(many),
      model.classify(['python compiler']),
      model.classify(['python compiler']),
    ]);
    expect(pool.runs).toEqual([32, 10]);
    expect(bulk).toHaveLength(40);
    bulk?.forEach((p, k) => {
      expect(maxDelta(p, alone[k])).toBeLessThan(1e-6);
    });
    for (const s of singles) expect(maxDelta(s[0], single)).toBeLessThan(1e-6);
  });

  it('an idle session runs a call at once; calls made while it runs share the next run', async () => {
    const model = await classifier('cls-inflight');
    let open = () => {};
    pool.gate = new Promise((resolve) => {
      open = resolve;
    });
    const first = model.classify(['integral']);
    await nextTurn();
    expect(pool.runs).toEqual([1]);
    const queued = TEXTS.slice(0, 5).map((text) => model.classify([text]));
    await nextTurn();
    expect(pool.runs).toEqual([1]);
    open();
    await Promise.all([first, ...queued]);
    expect(pool.runs).toEqual([1, 5]);
  });

  it('token classification: shared runs give each caller its own spans with offsets into its own text', async () => {
    const dir = writeHfDir(path.join(root, 'ner'), { onnx: tokenClassifierOnnx(), labels: NER_LABELS });
    const model = track(await loadHfSpanModel(pool, dir));
    const texts = [
      'Café 😀 avec John Smith à Paris, puis Anna Müller ☕.',
      'john',
      '',
      `${'word '.repeat(50)}lives in zurich`,
      'Anna met John',
    ];
    const alone = await oneByOne(texts, (text) => model.spans([text]));
    pool.runs = [];
    const shared = await Promise.all(texts.map((text) => model.spans([text])));
    expect(pool.runs).toEqual([texts.length]);
    shared.forEach(([spans], k) => {
      expect(spans).toEqual(alone[k]);
      for (const span of spans ?? []) {
        expect(texts[k]?.slice(span.start, span.end).toLowerCase()).toMatch(
          /^(john|john smith|anna|paris|zurich|anna müller)$/,
        );
      }
    });
    expect(shared[3]?.[0]?.map((s) => [s.label, texts[3]?.slice(s.start, s.end)])).toEqual([
      ['LOC', 'zurich'],
    ]);
  });

  it('feature extraction: shared runs give each caller its text-alone vector', async () => {
    const dir = writeHfDir(path.join(root, 'emb'), { onnx: featureExtractorOnnx() });
    const model = track(await loadHfTextEmbedder(pool, dir));
    const alone = await oneByOne(TEXTS, (text) => model.embed([text]));
    pool.runs = [];
    const shared = await Promise.all(TEXTS.map((text) => model.embed([text])));
    expect(pool.runs).toEqual([TEXTS.length]);
    shared.forEach(([vector], k) => {
      expect(maxDelta(vector, alone[k])).toBeLessThan(1e-6);
    });
  });

  it('a failed run rejects all its callers with InferenceError and the next call succeeds', async () => {
    const model = await classifier('cls-fail');
    const cause = new Error('boom');
    pool.failNext = cause;
    const results = await Promise.allSettled(TEXTS.slice(0, 3).map((text) => model.classify([text])));
    expect(pool.runs).toEqual([3]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      if (result.status === 'rejected') {
        expect(result.reason).toBeInstanceOf(InferenceError);
        expect(result.reason).toMatchObject({ cause });
      }
    }
    const [p] = await model.classify(['integral']);
    expect(p?.indexOf(Math.max(...(p ?? [])))).toBe(CLASS_LABELS.indexOf('math'));
  });

  it("a failed run drops its callers' queued texts; other queued callers still run", async () => {
    const model = await classifier('cls-fail-queued');
    pool.failNext = new InferenceError('inference failed');
    const many = model.classify(Array.from({ length: 40 }, () => 'integral'));
    const other = model.classify(['python']);
    await expect(many).rejects.toThrow('inference failed');
    expect((await other).length).toBe(1);
    expect(pool.runs).toEqual([32, 1]);
  });

  it('close() rejects queued calls and later ones with InferenceError', async () => {
    const model = await classifier('cls-close');
    const queued = TEXTS.slice(0, 3).map((text) => model.classify([text]));
    model.close();
    for (const call of queued) await expect(call).rejects.toThrow(InferenceError);
    await expect(model.classify(['integral'])).rejects.toThrow(/was released/);
    expect(pool.runs).toEqual([]);
  });
});
