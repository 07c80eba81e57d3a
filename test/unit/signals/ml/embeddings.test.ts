// embeddings and complexity families: similarity semantics on a tiny model, and a policy on the built-in model.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { explainRequest } from '../../../../src/cli/explain.ts';
import { PolicyError, type PolicyIssue } from '../../../../src/errors.ts';
import { TextEmbedder } from '../../../../src/ml/embedding/text-embedder.ts';
import { OnnxSessionPool } from '../../../../src/ml/onnx-session-pool.ts';
import { compilePolicyText } from '../../../../src/policy/load-policy.ts';
import { complexityFamily, complexityLevel } from '../../../../src/signals/complexity.ts';
import { aggregate, embeddingsFamily } from '../../../../src/signals/embeddings.ts';
import {
  RuleConfigError,
  referenceNames,
  type SignalDeps,
  type SignalEvaluator,
  type SignalFamily,
  type SignalRule,
} from '../../../../src/signals/signal-family.ts';
import { chatBody, contextFor } from '../../../helpers/request-context.ts';
import { familyScorer } from '../../../helpers/signal-family.ts';
import { writeTinyEmbedding } from '../../training/embedding/tiny-embedding.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'embedding-families-'));
const pool = new OnnxSessionPool();
const evaluators: SignalEvaluator[] = [];
let deps: SignalDeps;

beforeAll(() => {
  writeTinyEmbedding(dir);
  deps = {
    policyDir: dir,
    sessionPool: pool,
    builtinModelsDir: dir,
  };
});
afterEach(() => {
  for (const evaluator of evaluators.splice(0)) evaluator.close?.();
});
afterAll(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

function build<R extends SignalRule>(family: SignalFamily<R>, rules: readonly unknown[]) {
  return familyScorer(family, rules, deps, evaluators);
}

const MATH = ['solve the integral equation', 'prove the theorem about polynomials'];
const CODE = ['fix my python recursion', 'write a javascript algorithm'];

describe('embeddings family', () => {
  it('matches the rule whose candidates are similar, with the aggregated similarity as confidence', async () => {
    const evaluate = await build(embeddingsFamily, [
      { name: 'math', threshold: 0.8, candidates: MATH },
      { name: 'code', threshold: 0.8, candidates: CODE },
    ]);
    const math = await evaluate('how do I take the derivative of this polynomial');
    expect(Object.keys(math)).toEqual(['math']);
    expect(math.math).toBeGreaterThanOrEqual(0.8);
    expect(math.math).toBeLessThanOrEqual(1);
    expect(Object.keys(await evaluate('my javascript compiler crashes on recursion'))).toEqual(['code']);
    expect(await evaluate('the doctor gave my patient a vaccine')).toEqual({});
  });

  it('aggregates with max (default), mean or any, against the threshold', async () => {
    const mixed = [...MATH, 'hello thanks for lunch'];
    const evaluate = await build(embeddingsFamily, [
      { name: 'max', threshold: 0.8, candidates: mixed },
      { name: 'mean', threshold: 0.8, candidates: mixed, aggregation_method: 'mean' },
      { name: 'any', threshold: 0.8, candidates: mixed, aggregation_method: 'any' },
      { name: 'mean_low', threshold: 0.3, candidates: mixed, aggregation_method: 'mean' },
    ]);
    const got = await evaluate('explain the algebra theorem proof');
    expect(Object.keys(got).sort()).toEqual(['any', 'max', 'mean_low']);
    expect(got.any).toBe(got.max);
    expect(got.mean_low).toBeLessThan(got.max ?? 0);
    expect(aggregate([0.2, 0.4, 0.9], 'mean')).toBeCloseTo(0.5, 10);
    expect(aggregate([0.2, 0.4, 0.9], 'max')).toBe(0.9);
    expect(aggregate([], 'any')).toBe(0);
  });

  it('threshold 0 matches any text; threshold 1 matches only an identical embedding', async () => {
    const evaluate = await build(embeddingsFamily, [
      { name: 'all', threshold: 0, candidates: MATH },
      { name: 'exact', threshold: 1, candidates: ['zzz qqq'] },
    ]);
    expect(Object.keys(await evaluate('anything at all'))).toContain('all');
    expect(await evaluate('')).toEqual({});
  });

  it('negative_candidates veto a match that is at least as close to them', async () => {
    const evaluate = await build(embeddingsFamily, [
      {
        name: 'tech',
        threshold: 0.2,
        candidates: [...MATH, ...CODE],
        aggregation_method: 'mean',
        negative_candidates: ['python recursion kernel'],
      },
    ]);
    expect(Object.keys(await evaluate('prove the integral theorem'))).toEqual(['tech']);
    expect(await evaluate('python recursion in the kernel')).toEqual({});
  });

  it('embeds the last user message once per request for all rules and families', async () => {
    const spy = vi.spyOn(TextEmbedder.prototype, 'embed');
    try {
      const rules = [
        { name: 'a', threshold: 0.5, candidates: MATH },
        { name: 'b', threshold: 0.5, candidates: CODE },
      ];
      const e1 = await embeddingsFamily.create(
        rules.map((r) => embeddingsFamily.ruleSchema.parse(r)),
        deps,
      );
      const e2 = await complexityFamily.create(
        [
          complexityFamily.ruleSchema.parse({
            name: 'c',
            hard: { candidates: MATH },
            easy: { candidates: CODE },
          }),
        ],
        deps,
      );
      evaluators.push(e1, e2);
      const context = contextFor('prove this theorem');
      spy.mockClear();
      await Promise.all([e1.evaluate(context), e2.evaluate(context)]);
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('rejects image fields, bad aggregation and empty candidates with clear messages', () => {
    const issues = (rule: unknown) =>
      embeddingsFamily.ruleSchema
        .safeParse(rule)
        .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ name: 'x', threshold: 0.5, candidates: ['a'], image_candidates: ['cat.png'] })).toEqual([
      expect.stringMatching(/^image_candidates: image_candidates is not supported/),
    ]);
    expect(issues({ name: 'x', threshold: 0.5, candidates: ['a'], aggregation_method: 'median' })).toEqual([
      'aggregation_method: aggregation_method must be mean, max or any',
    ]);
    expect(issues({ name: 'x', threshold: 0.5, candidates: [] })).toEqual([
      'candidates: needs at least one candidate',
    ]);
  });

  it('reports a missing model at `model` of the rule', async () => {
    const rule = embeddingsFamily.ruleSchema.parse({
      name: 'x',
      threshold: 0.5,
      candidates: ['a'],
      model: 'nope',
    });
    const error = await Promise.resolve(embeddingsFamily.create([rule], deps)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuleConfigError);
    expect((error as RuleConfigError).problems[0]).toMatchObject({ ruleIndex: 0, path: 'model' });
  });
});

describe('complexity family', () => {
  it('names easy, medium and hard leaves for each rule', () => {
    const rule = complexityFamily.ruleSchema.parse({
      name: 'cx',
      hard: { candidates: ['a'] },
      easy: { candidates: ['b'] },
    });
    expect(referenceNames(complexityFamily, [rule])).toEqual(['cx:easy', 'cx:medium', 'cx:hard']);
  });

  it('levels by the margin between the hard and easy similarities', () => {
    expect(complexityLevel(0.9, 0.5, 0.1)).toEqual({ level: 'hard', confidence: expect.closeTo(0.4, 10) });
    expect(complexityLevel(0.3, 0.8, 0.1)).toEqual({ level: 'easy', confidence: expect.closeTo(0.5, 10) });
    expect(complexityLevel(0.6, 0.55, 0.1)).toEqual({ level: 'medium', confidence: expect.closeTo(0.5, 10) });
    expect(complexityLevel(0.6, 0.6, 0)).toEqual({ level: 'medium', confidence: 1 });
    expect(complexityLevel(Number.NaN, 0.6, 0.1)).toEqual({ level: 'medium', confidence: 0 });
  });

  it('emits exactly one level per rule', async () => {
    const evaluate = await build(complexityFamily, [
      { name: 'cx', hard: { candidates: MATH }, easy: { candidates: ['hello thanks for the joke'] } },
      { name: 'wide', threshold: 1, hard: { candidates: MATH }, easy: { candidates: CODE } },
    ]);
    const hard = await evaluate('prove this polynomial theorem');
    expect(Object.keys(hard).sort()).toEqual(['cx:hard', 'wide:medium']);
    expect(Object.keys(await evaluate('hello, thanks, nice weather for lunch'))).toContain('cx:easy');
    expect(await evaluate('')).toEqual({});
  });
});

const POLICY = `version: v1
default_model: small
pools:
  - name: l4-pool
    max_context_tokens: 32K
models:
  - name: small
    pools: [l4-pool]
  - name: coder
    pools: [l4-pool]
  - name: reasoner
    pools: [l4-pool]
routing:
  signals:
    embeddings:
      - name: finance
        threshold: 0.9
        aggregation_method: max
        candidates:
          - How do I transfer money from my savings account to my checking account?
          - Why was my card payment declined at the shop?
    complexity:
      - name: effort
        threshold: 0.05
        hard:
          candidates:
            - Derive the time complexity of this recursive algorithm and prove it is optimal.
            - Prove that there are infinitely many primes of the form 4k+3.
        easy:
          candidates:
            - Hi, how are you today?
            - Thanks, that was helpful!
  decisions:
    - name: banking
      priority: 100
      rules: { operator: OR, conditions: [{ type: embedding, name: finance }] }
      modelRefs: [{ model: coder }]
    - name: hard
      priority: 50
      rules: { operator: AND, conditions: [{ type: complexity, name: 'effort:hard' }] }
      modelRefs: [{ model: reasoner }]
`;

describe('a policy using embeddings and complexity with the built-in model', () => {
  const file = path.join(dir, 'policy.yaml');

  it.runIf(existsSync(path.resolve('models/embedding/model.onnx')))(
    'compiles and routes through explain',
    async () => {
      const policy = await compilePolicyText(POLICY, file, { sessionPool: pool });
      try {
        const explain = (text: string) => explainRequest(policy, file, chatBody(text), new Map());
        const bank = await explain('My card was declined when I tried to pay, what happened?');
        expect(bank.winner?.name).toBe('banking');
        expect(bank.model?.name).toBe('coder');
        expect((await explain('What is the capital of France?')).winner?.name).not.toBe('banking');
        const hard = await explain(
          'Prove that the square root of 2 is irrational, and derive a bound on the error.',
        );
        expect(hard.winner?.name).toBe('hard');
        expect(hard.model?.name).toBe('reasoner');
        const easy = await explain('Hi there, thanks a lot!');
        expect(easy.winner).toBeNull();
        const leaf = easy.signals.find((s) => s.family === 'complexity')?.matches[0];
        expect(leaf).toMatchObject({ type: 'complexity', name: 'effort:easy' });
      } finally {
        policy.close();
      }
    },
  );

  it('rejects a decision that references a level that does not exist', async () => {
    const yaml = POLICY.replace("name: 'effort:hard'", "name: 'effort:extreme'");
    let issues: PolicyIssue[] = [];
    try {
      (await compilePolicyText(yaml, file, { sessionPool: pool, builtinModelsDir: dir })).close();
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      issues = [...error.issues];
    }
    expect(issues.map((i) => i.message).join('\n')).toMatch(/effort:extreme/);
  });
});
