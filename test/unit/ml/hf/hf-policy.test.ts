// A policy whose classifier, domain and embedding rules point `model:` at Hugging Face export directories.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainRequest } from '../../../../src/cli/explain.ts';
import { PolicyError, type PolicyIssue } from '../../../../src/errors.ts';
import { OnnxSessionPool } from '../../../../src/ml/onnx-session-pool.ts';
import { compilePolicyText } from '../../../../src/policy/load-policy.ts';
import { chatBody } from '../../../helpers/request-context.ts';
import { CLASS_LABELS, featureExtractorOnnx, sequenceClassifierOnnx, writeHfDir } from './tiny-hf-models.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'hf-policy-'));
const file = path.join(dir, 'policy.yaml');
const sessionPool = new OnnxSessionPool();

beforeAll(() => {
  writeHfDir(path.join(dir, 'hf-classifier'), { onnx: sequenceClassifierOnnx(true), labels: CLASS_LABELS });
  writeHfDir(path.join(dir, 'hf-encoder'), { onnx: featureExtractorOnnx() });
  const noTokenizer = path.join(dir, 'hf-no-tokenizer');
  mkdirSync(noTokenizer);
  writeFileSync(path.join(noTokenizer, 'model.onnx'), sequenceClassifierOnnx(true));
  writeFileSync(
    path.join(noTokenizer, 'config.json'),
    JSON.stringify({ id2label: { 0: 'math', 1: 'code' } }),
  );
});
afterAll(async () => {
  await sessionPool.close();
  rmSync(dir, { recursive: true, force: true });
});

function policy(classifierModel: string): string {
  return `version: v1
default_model: small
pools:
  - name: l4-pool
    max_context_tokens: 32K
models:
  - name: small
    pools: [l4-pool]
  - name: mathematician
    pools: [l4-pool]
  - name: coder
    pools: [l4-pool]
  - name: scientist
    pools: [l4-pool]
routing:
  signals:
    classifiers:
      - { name: math_intent, model: ${classifierModel}, label: math, threshold: 0.7 }
    domains:
      - { name: stem, mmlu_categories: [math, code], model: ./hf-classifier, threshold: 0.7 }
    embeddings:
      - { name: code_like, threshold: 0.9, candidates: [python compiler, javascript recursion], model: hf-encoder }
    complexity:
      - { name: difficulty, model: hf-encoder, hard: { candidates: [integral theorem] }, easy: { candidates: [the cafe] } }
  decisions:
    - name: math
      priority: 100
      rules: { operator: AND, conditions: [{ type: classifier, name: math_intent }, { type: domain, name: stem }] }
      modelRefs: [{ model: mathematician }]
    - name: code
      priority: 50
      rules: { operator: OR, conditions: [{ type: embedding, name: code_like }] }
      modelRefs: [{ model: coder }]
    - name: hard
      priority: 10
      rules: { operator: OR, conditions: [{ type: complexity, name: 'difficulty:hard' }] }
      modelRefs: [{ model: scientist }]
`;
}

async function issuesOf(yaml: string): Promise<PolicyIssue[]> {
  try {
    (await compilePolicyText(yaml, file, { sessionPool })).close();
  } catch (error) {
    if (error instanceof PolicyError) return error.issues.filter((issue) => issue.severity === 'error');
    throw error;
  }
  return [];
}

describe('policies with Hugging Face models', () => {
  it('route with classifiers, domains, embeddings and complexity rules whose model is an HF export directory', async () => {
    const compiled = await compilePolicyText(policy('hf-classifier'), file, { sessionPool });
    try {
      const explain = (text: string) => explainRequest(compiled, file, chatBody(text), new Map());
      const math = await explain('solve this integral equation');
      expect(math.model?.name).toBe('mathematician');
      const complexity = math.signals.find((s) => s.family === 'complexity');
      expect(complexity?.matches.map((m) => m.name)).toEqual(['difficulty:hard']);
      expect((await explain('my javascript recursion in python')).model?.name).toBe('coder');
      expect((await explain('the cafe in paris')).model?.name).toBe('small');
    } finally {
      compiled.close();
    }
  });

  it('reports a missing HF directory and a missing tokenizer.json at the rule, naming the file', async () => {
    const missing = await issuesOf(policy('./no-such-model'));
    expect(missing).toEqual([
      expect.objectContaining({
        path: 'routing.signals.classifiers[0].model',
        message: expect.stringContaining(path.join(dir, 'no-such-model')),
      }),
    ]);
    const noTokenizer = await issuesOf(policy('hf-no-tokenizer'));
    expect(noTokenizer).toEqual([
      expect.objectContaining({
        path: 'routing.signals.classifiers[0].model',
        message: expect.stringContaining(path.join(dir, 'hf-no-tokenizer', 'tokenizer.json')),
      }),
    ]);
  });
});
