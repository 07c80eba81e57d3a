// The lexical similarity model that vLLM Semantic Router files' similarity rules use: paraphrases score on the
// peer's threshold scale, unrelated requests do not, and only v0.3 files get it by default.
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainRequest } from '../../../src/cli/explain.ts';
import { LexicalEmbedder } from '../../../src/ml/lexical/lexical-embedder.ts';
import { similarityCalibration } from '../../../src/ml/lexical/similarity-calibration.ts';
import { BUILTIN_MODELS_DIR } from '../../../src/ml/model-store.ts';
import { cosine } from '../../../src/ml/vector-math.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import { complexityLevel } from '../../../src/signals/complexity.ts';
import { bodyFor } from '../../helpers/request-context.ts';

let model: LexicalEmbedder;

beforeAll(async () => {
  model = await LexicalEmbedder.load(path.join(BUILTIN_MODELS_DIR, 'lexical'));
});

function calibrated(a: string, b: string): number {
  return model.calibrate(cosine(model.embedOne(a), model.embedOne(b)));
}

describe('the built-in lexical similarity model', () => {
  it('puts a reworded request above the peer’s usual 0.75 and an unrelated one far below', () => {
    expect(
      calibrated('how do I reset my password', 'I forgot my password, how can I reset it?'),
    ).toBeGreaterThan(0.75);
    expect(
      calibrated('how do I reset my password', 'what will the weather be in Paris tomorrow'),
    ).toBeLessThan(0.4);
    expect(calibrated('What is 7 times 8?', 'review this function from our private repository')).toBeLessThan(
      0.4,
    );
  });

  it('gives the same cosine through its sparse fast path as over the dense vectors', () => {
    const a = model.embedOne('how do I reset my password');
    const b = model.embedOne('I forgot my password, how can I reset it?');
    const dense = cosine(Float32Array.from(a), Float32Array.from(b));
    expect(dense).toBeGreaterThan(0.1);
    expect(cosine(a, b)).toBeCloseTo(dense, 6);
    expect(cosine(a, Float32Array.from(b))).toBeCloseTo(dense, 6);
  });

  it('embeds to unit length, and an empty text to the zero vector', () => {
    const v = model.embedOne('Summarize this contract');
    expect(cosine(v, v)).toBeCloseTo(1, 5);
    expect(model.embedOne('   ').every((x) => x === 0)).toBe(true);
  });

  it('rejects a document-frequency table of the wrong size, naming the file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lexical-'));
    try {
      await copyFile(path.join(BUILTIN_MODELS_DIR, 'lexical', 'card.json'), path.join(dir, 'card.json'));
      await writeFile(path.join(dir, 'idf.bin'), Buffer.alloc(10));
      await expect(LexicalEmbedder.load(dir)).rejects.toThrow(/idf\.bin.*document-frequency bytes/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('complexity under a calibrated model', () => {
  it('calls a prompt medium when neither bank is closer than unrelated texts usually are', () => {
    expect(complexityLevel(0.23, 0.1, 0.1, model.noiseFloor).level).toBe('medium');
    expect(complexityLevel(0.23, 0.1, 0.1).level).toBe('hard');
    expect(complexityLevel(0.8, 0.3, 0.1, model.noiseFloor).level).toBe('hard');
  });
});

describe('similarity calibration', () => {
  const map = similarityCalibration([
    { raw: 0.1, calibrated: 0.3 },
    { raw: 0.3, calibrated: 0.8 },
  ]);

  it('passes through its anchors and interpolates between them', () => {
    expect(map(0.1)).toBeCloseTo(0.3);
    expect(map(0.2)).toBeCloseTo(0.55);
    expect(map(0.3)).toBeCloseTo(0.8);
    expect(map(0.65)).toBeCloseTo(0.9);
    expect(map(-0.2)).toBe(0);
    expect(map(1.5)).toBe(1);
  });

  it('refuses anchors that do not increase', () => {
    expect(() =>
      similarityCalibration([
        { raw: 0.3, calibrated: 0.5 },
        { raw: 0.2, calibrated: 0.6 },
      ]),
    ).toThrow(/increase/);
  });
});

const RULE = `
      - name: private_code
        threshold: 0.75
        candidates: [review this function from our private repository, debug our internal service code]`;

const V03 = `version: v0.3
providers:
  defaults: { default_model: small }
  models:
    - { name: small, backend_refs: [{ name: primary, endpoint: "small:8000" }] }
    - { name: local, backend_refs: [{ name: primary, endpoint: "local:8000" }] }
routing:
  signals:
    embeddings:${RULE}
  decisions:
    - { name: private, rules: { type: embedding, name: private_code }, modelRefs: [{ model: local }] }
`;

const V1 = `version: v1
default_model: small
pools: [{ name: p, max_context_tokens: 32768 }]
models: [{ name: small, pools: [p] }, { name: local, pools: [p] }]
routing:
  signals:
    embeddings:${RULE}
  decisions:
    - { name: private, rules: { type: embedding, name: private_code }, modelRefs: [{ model: local }] }
`;

async function winner(text: string, yaml: string): Promise<string | undefined> {
  const policy = await compilePolicyText(yaml, 'lexical.yaml');
  try {
    const body = Buffer.from(JSON.stringify(bodyFor({ model: 'auto', text })), 'utf8');
    return (await explainRequest(policy, 'lexical.yaml', body, new Map())).winner?.name;
  } finally {
    policy.close();
  }
}

describe('which model a similarity rule naming none uses', () => {
  it('a v0.3 file: the lexical model, so the peer’s 0.75 separates related from unrelated requests', async () => {
    expect(await winner('Please review this function from our private repository for bugs', V03)).toBe(
      'private',
    );
    expect(await winner('What is 7 times 8?', V03)).toBeUndefined();
  });

  it('a v1 policy: the topic encoder and its own ~0.9 scale (at 0.75 the same rule fires on an unrelated request)', async () => {
    expect(await winner('What is 7 times 8?', V1)).toBe('private');
  });
});

afterAll(() => model.close());
