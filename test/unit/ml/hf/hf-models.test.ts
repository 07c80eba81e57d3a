// Hugging Face ONNX exports (tiny graphs with real input/output names) as classifiers, span models and embedders.
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEmbedder } from '../../../../src/ml/embedding/text-embedder.ts';
import { readHfModelDir } from '../../../../src/ml/hf/hf-model-dir.ts';
import { HfTokenizer } from '../../../../src/ml/hf/hf-tokenizer.ts';
import {
  type HfModelFileError,
  loadHfSequenceClassifier,
  loadHfSpanModel,
  loadHfTextEmbedder,
} from '../../../../src/ml/hf/index.ts';
import { loadClassifier } from '../../../../src/ml/model-store.ts';
import { ModelFileError, OnnxSessionPool } from '../../../../src/ml/onnx-session-pool.ts';
import {
  CLASS_LABELS,
  featureExtractorOnnx,
  NER_LABELS,
  sequenceClassifierOnnx,
  tokenClassifierOnnx,
  writeHfDir,
} from './tiny-hf-models.ts';

const root = mkdtempSync(path.join(tmpdir(), 'hf-models-'));
const pool = new OnnxSessionPool();
const closers: { close(): void }[] = [];

afterAll(async () => {
  for (const c of closers) c.close();
  await pool.close();
  rmSync(root, { recursive: true, force: true });
});

function track<T extends { close(): void }>(model: T): T {
  closers.push(model);
  return model;
}

const IO_LABELS = ['O', 'PERSON', 'LOCATION'];

const dirs = {
  cls: () => writeHfDir(path.join(root, 'cls'), { onnx: sequenceClassifierOnnx(true), labels: CLASS_LABELS }),
  clsNoTypes: () =>
    writeHfDir(path.join(root, 'cls-no-types'), {
      onnx: sequenceClassifierOnnx(false),
      labels: CLASS_LABELS,
    }),
  multi: () =>
    writeHfDir(path.join(root, 'multi'), {
      onnx: sequenceClassifierOnnx(false),
      labels: CLASS_LABELS,
      config: { problem_type: 'multi_label_classification' },
    }),
  ner: () => writeHfDir(path.join(root, 'ner'), { onnx: tokenClassifierOnnx(), labels: NER_LABELS }),
  io: () =>
    writeHfDir(path.join(root, 'io'), {
      onnx: tokenClassifierOnnx(IO_LABELS, { first: 'PERSON', part: 'PERSON', place: 'LOCATION' }),
      labels: IO_LABELS,
    }),
  emb: () => writeHfDir(path.join(root, 'emb'), { onnx: featureExtractorOnnx() }),
};

function argmax(values: Float32Array): number {
  let best = 0;
  for (let k = 1; k < values.length; k++) if ((values[k] ?? 0) > (values[best] ?? 0)) best = k;
  return best;
}

describe('sequence classification export', () => {
  it('known words push the right label; probabilities sum to 1 in id2label order', async () => {
    const model = track(await loadHfSequenceClassifier(pool, dirs.cls()));
    expect(model.labels).toEqual(CLASS_LABELS);
    const [math, code, other] = await model.classify([
      'Solve this integral equation',
      'fix my Python compiler',
      'the cafe in Paris',
    ]);
    expect(CLASS_LABELS[argmax(math as Float32Array)]).toBe('math');
    expect(CLASS_LABELS[argmax(code as Float32Array)]).toBe('code');
    expect(CLASS_LABELS[argmax(other as Float32Array)]).toBe('other');
    const sum = [...(math as Float32Array)].reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 5);
  });

  it('works with a graph that declares no token_type_ids, and batches rows of different lengths', async () => {
    const model = track(await loadHfSequenceClassifier(pool, dirs.clsNoTypes()));
    const long = `fix my python compiler ${'word '.repeat(40)}`;
    const [alone] = await model.classify(['integral']);
    const [batched] = await model.classify(['integral', long]);
    expect([...(batched as Float32Array)]).toEqual([...(alone as Float32Array)]);
    expect(CLASS_LABELS[argmax(alone as Float32Array)]).toBe('math');
  });

  it('uses independent sigmoids for multi_label_classification', async () => {
    const model = track(await loadHfSequenceClassifier(pool, dirs.multi()));
    const [p] = await model.classify(['integral python']);
    const probabilities = [...(p as Float32Array)];
    expect(probabilities[0]).toBeGreaterThan(0.9);
    expect(probabilities[1]).toBeGreaterThan(0.9);
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeGreaterThan(1.5);
  });

  it('is what the model store loads for a directory with tokenizer.json and config.json', async () => {
    const dir = dirs.cls();
    const model = track(await loadClassifier(pool, path.join(dir, 'model.onnx')));
    expect(model.labels).toEqual(CLASS_LABELS);
  });
});

describe('token classification export', () => {
  const text = 'Café 😀 avec John Smith à Paris, puis Anna Müller ☕.';
  const at = (needle: string): [number, number] => {
    const start = text.indexOf(needle);
    return [start, start + needle.length];
  };

  it('returns entity spans with offsets into the original text, BIO continuation merged, O and specials ignored', async () => {
    const model = track(await loadHfSpanModel(pool, dirs.ner()));
    expect(model.labels).toEqual(['PER', 'LOC']);
    const [spans] = await model.spans([text]);
    const found = (spans ?? []).map((s) => ({
      label: s.label,
      range: [s.start, s.end],
      value: text.slice(s.start, s.end),
    }));
    expect(found).toEqual([
      { label: 'PER', range: at('John Smith'), value: 'John Smith' },
      { label: 'LOC', range: at('Paris'), value: 'Paris' },
      { label: 'PER', range: at('Anna Müller'), value: 'Anna Müller' },
    ]);
    for (const span of spans ?? []) {
      expect(span.score).toBeGreaterThan(0.9);
      expect(span.score).toBeLessThanOrEqual(1);
    }
  });

  it('decodes plain IO labels and handles several texts and an empty one', async () => {
    const model = track(await loadHfSpanModel(pool, dirs.io()));
    const [first, empty, second] = await model.spans(['john met anna', '', 'lives in zurich']);
    expect(first?.map((s) => [s.label, s.start, s.end])).toEqual([
      ['PERSON', 0, 4],
      ['PERSON', 9, 13],
    ]);
    expect(empty).toEqual([]);
    expect(second?.map((s) => [s.label, s.start, s.end])).toEqual([['LOCATION', 9, 15]]);
  });
});

describe('feature extraction export', () => {
  it('returns unit vectors; similar texts are closer', async () => {
    const model = track(await loadHfTextEmbedder(pool, dirs.emb()));
    expect(model.dim).toBe(4);
    const [a, b, c] = await model.embed(['integral equation', 'derivative theorem', 'python compiler']);
    for (const v of [a, b, c]) {
      expect(Math.hypot(...(v as Float32Array))).toBeCloseTo(1, 5);
    }
    const dot = (x?: Float32Array, y?: Float32Array) =>
      [...(x ?? [])].reduce((s, v, k) => s + v * (y?.[k] ?? 0), 0);
    expect(dot(a, b)).toBeGreaterThan(dot(a, c));
  });

  it('padding does not change a text embedding', async () => {
    const model = track(await loadEmbedder(pool, path.join(dirs.emb(), 'model.onnx')));
    const [alone] = await model.embed(['solve this integral']);
    const [batched] = await model.embed(['solve this integral', `the cafe ${'word '.repeat(60)} python`]);
    const delta = Math.max(...[...(alone as Float32Array)].map((v, k) => Math.abs(v - (batched?.[k] ?? 0))));
    expect(delta).toBeLessThan(1e-5);
  });

  it('truncation bounds the token count and time of a 1 MB text', async () => {
    const dir = dirs.emb();
    const tokenizer = new HfTokenizer(await readHfModelDir(dir));
    const huge = 'integral python '.repeat(65536);
    const started = performance.now();
    const encoding = tokenizer.encode(huge);
    expect(encoding.ids.length).toBe(512);
    expect(encoding.ids[0]).toBe(2);
    expect(encoding.ids[511]).toBe(3);
    const model = track(await loadHfTextEmbedder(pool, dir));
    const [v] = await model.embed([huge]);
    expect(Math.hypot(...(v as Float32Array))).toBeCloseTo(1, 5);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('reads the max length from router.json, then tokenizer_config.json, capped by max_position_embeddings', async () => {
    const onnx = featureExtractorOnnx();
    const settings = writeHfDir(path.join(root, 'len-settings'), {
      onnx,
      extraFiles: { 'router.json': '{"max_length": 8}', 'tokenizer_config.json': '{"model_max_length": 16}' },
    });
    const config = writeHfDir(path.join(root, 'len-config'), {
      onnx,
      extraFiles: { 'tokenizer_config.json': '{"model_max_length": 16}' },
    });
    const positions = writeHfDir(path.join(root, 'len-positions'), {
      onnx,
      config: { max_position_embeddings: 12 },
    });
    const text = 'word '.repeat(100);
    for (const [dir, expected] of [
      [settings, 8],
      [config, 16],
      [positions, 12],
    ] as const) {
      const tokenizer = new HfTokenizer(await readHfModelDir(dir));
      expect(tokenizer.encode(text).ids.length).toBe(expected);
    }
  });
});

describe('broken model directories', () => {
  const brokenPool = new OnnxSessionPool();
  afterAll(() => brokenPool.close());

  it('a missing tokenizer.json is a ModelFileError naming it', async () => {
    const dir = writeHfDir(path.join(root, 'no-tokenizer'), {
      onnx: sequenceClassifierOnnx(true),
      labels: CLASS_LABELS,
    });
    unlinkSync(path.join(dir, 'tokenizer.json'));
    const error = await loadHfSequenceClassifier(brokenPool, dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFileError);
    expect((error as ModelFileError).file).toBe(path.join(dir, 'tokenizer.json'));
    expect((error as Error).message).toContain(path.join(dir, 'tokenizer.json'));
    expect((error as HfModelFileError).modelFile).toBe(path.join(dir, 'model.onnx'));
  });

  it('a bad config.json, or one without id2label for a classifier, is a ModelFileError naming it', async () => {
    const configFile = (dir: string) => path.join(dir, 'config.json');
    const broken = writeHfDir(path.join(root, 'bad-json'), {
      onnx: sequenceClassifierOnnx(true),
      labels: CLASS_LABELS,
    });
    writeFileSync(configFile(broken), '{ not json');
    const noLabels = writeHfDir(path.join(root, 'no-labels'), { onnx: sequenceClassifierOnnx(true) });
    const gap = writeHfDir(path.join(root, 'label-gap'), {
      onnx: sequenceClassifierOnnx(true),
      config: { id2label: { '0': 'a', '2': 'c' } },
    });
    for (const dir of [broken, noLabels, gap]) {
      const error = await loadHfSequenceClassifier(brokenPool, dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelFileError);
      expect((error as ModelFileError).file).toBe(configFile(dir));
    }
  });

  it('a corrupt model.onnx, or a graph with the wrong output, is a ModelFileError naming model.onnx', async () => {
    const corrupt = writeHfDir(path.join(root, 'corrupt'), {
      onnx: Buffer.from('not onnx'),
      labels: CLASS_LABELS,
    });
    const wrongOutput = writeHfDir(path.join(root, 'wrong-output'), {
      onnx: featureExtractorOnnx(),
      labels: CLASS_LABELS,
    });
    for (const dir of [corrupt, wrongOutput]) {
      const error = await loadHfSequenceClassifier(brokenPool, dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelFileError);
      expect((error as ModelFileError).file).toBe(path.join(dir, 'model.onnx'));
    }
    expect(brokenPool.size).toBe(0);
  });
});
