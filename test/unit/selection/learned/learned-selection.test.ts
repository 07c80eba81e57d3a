// The served knn / kmeans / svm / mlp selectors: built-in models load with the policy, choose deterministically,
// map candidates to trained profiles, and a missing or corrupt model is a policy error.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PolicyError, type PolicyIssue } from '../../../../src/errors.ts';
import { compilePolicyText } from '../../../../src/policy/load-policy.ts';
import type { CompiledModel } from '../../../../src/policy/policy.ts';
import { builtInModelFile, loadLearnedModel } from '../../../../src/selection/learned/learned-model.ts';
import type { LearnedAlgorithm } from '../../../../src/selection/learned/model-file.ts';
import {
  type ModelCandidate,
  type ModelSelector,
  type Selection,
  selectionAlgorithms,
} from '../../../../src/selection/model-selector.ts';
import { selectionContext } from '../../../helpers/selection-context.ts';

// The registry imports an algorithm's module when a policy names it; these tests use them directly.
await selectionAlgorithms.loadAll();

const GPT4O = 'gpt-4o-2024-05-13';
const LLAMA7B = 'Llama-2-7b-hf';
const HARD = 'Compute the eigenvalues of the 3x3 matrix and prove that the integral of the series converges.';
const EASY = 'Which treaty ended the Thirty Years War?';
const PROMPTS = [
  HARD,
  EASY,
  'What is the capital of France?',
  'A tenant signs a lease; who repairs the roof?',
];

const candidate = (model: string): ModelCandidate => ({ model, weight: 1, useReasoning: false });

function selector(algorithm: LearnedAlgorithm, raw: Record<string, unknown> = {}): ModelSelector {
  const definition = selectionAlgorithms.get(algorithm);
  if (!definition) throw new Error(`${algorithm} is not registered`);
  const parsed = definition.configSchema.safeParse(raw);
  if (!parsed.success) throw new Error(parsed.error.message);
  return definition.create(parsed.data as never);
}

function choose(
  s: ModelSelector,
  candidates: readonly ModelCandidate[],
  prompt: string,
  models?: Map<string, CompiledModel>,
) {
  return s.select(
    candidates,
    selectionContext({ request: prompt, ...(models && { models }) }),
  ) as Selection<ModelCandidate>;
}

function priced(name: string, perMillion: number): CompiledModel {
  return {
    name,
    pricing: {
      currency: 'USD',
      promptPer1m: perMillion,
      completionPer1m: perMillion,
      cachedInputPer1m: undefined,
    },
  } as unknown as CompiledModel;
}

describe.each(['knn', 'kmeans', 'svm', 'mlp'] as LearnedAlgorithm[])('built-in %s selector', (algorithm) => {
  const s = selector(algorithm, { models: { big: GPT4O, small: LLAMA7B } });
  const pair = [candidate('small'), candidate('big')];

  it('picks, for mapped candidates, the one with the higher predicted success, with scores for explain', () => {
    const model = loadLearnedModel(builtInModelFile(algorithm));
    const g = model.profiles.findIndex((p) => p.name === GPT4O);
    const l = model.profiles.findIndex((p) => p.name === LLAMA7B);
    for (const prompt of PROMPTS) {
      const p = model.predict(prompt);
      const chosen = choose(s, pair, prompt);
      expect(chosen.candidate.model).toBe((p[g] as number) > (p[l] as number) ? 'big' : 'small');
      expect(chosen.scores?.map((x) => x.model)).toEqual(['small', 'big']);
      expect(chosen.scores?.[1]?.score).toBeCloseTo(p[g] as number, 6);
      expect(chosen.reason).toMatch(new RegExp(`^${algorithm}: `));
    }
  });

  it('chooses the same model for the same prompt every time', () => {
    const first = PROMPTS.map((p) => choose(s, pair, p).candidate.model);
    const again = selector(algorithm, { models: { big: GPT4O, small: LLAMA7B } });
    for (let round = 0; round < 3; round++)
      expect(PROMPTS.map((p) => choose(again, pair, p).candidate.model)).toEqual(first);
  });
});

describe('registry', () => {
  it('registers knn, kmeans, svm and mlp as selection algorithms', () => {
    for (const name of ['knn', 'kmeans', 'svm', 'mlp'])
      expect(selectionAlgorithms.get(name)?.name).toBe(name);
  });
});

describe('knn selector rules', () => {
  it('threshold 1 tolerates any quality loss: the cheapest candidate by policy price wins', () => {
    const s = selector('knn', { models: { big: GPT4O, small: LLAMA7B }, threshold: 1 });
    const models = new Map([
      ['big', priced('big', 10)],
      ['small', priced('small', 0.1)],
    ]);
    for (const prompt of PROMPTS) {
      expect(choose(s, [candidate('big'), candidate('small')], prompt, models).candidate.model).toBe('small');
    }
  });

  it('an empty or huge prompt still gets a choice (the priors decide for an empty one)', () => {
    const s = selector('knn', { models: { big: GPT4O, small: LLAMA7B } });
    const pair = [candidate('small'), candidate('big')];
    expect(choose(s, pair, '').candidate.model).toBe('big');
    expect(['small', 'big']).toContain(choose(s, pair, 'integral '.repeat(100_000)).candidate.model);
  });

  it('matches candidates to profiles by name without a models map', () => {
    const s = selector('knn');
    const chosen = choose(s, [candidate(LLAMA7B), candidate(GPT4O)], HARD);
    expect(chosen.reason).toMatch(/predicted quality/);
    expect(chosen.candidate.model).toBe(GPT4O);
  });

  it('routes unmapped candidates by difficulty: strong_share 0 keeps all on the cheapest, 1 sends all to the dearest', () => {
    const models = new Map([
      ['chat-small', priced('chat-small', 0.2)],
      ['chat-large', priced('chat-large', 5)],
    ]);
    const candidates = [candidate('chat-large'), candidate('chat-small')];
    const none = selector('knn', { strong_share: 0 });
    const all = selector('knn', { strong_share: 1 });
    for (const prompt of PROMPTS) {
      expect(choose(none, candidates, prompt, models).candidate.model).toBe('chat-small');
      expect(choose(all, candidates, prompt, models).candidate.model).toBe('chat-large');
    }
    const half = selector('knn', { strong_share: 0.5 });
    const chosen = choose(half, candidates, HARD, models);
    expect(chosen.reason).toMatch(/difficulty quantile/);
    expect(chosen.scores?.[0]?.parts?.difficulty_quantile).toBeGreaterThanOrEqual(0);
  });
});

const dir = mkdtempSync(path.join(tmpdir(), 'learned-selection-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const POLICY = (algorithm: string) => `version: v1
default_model: small
pools:
  - name: l4-pool
    max_context_tokens: 32K
models:
  - name: small
    pools: [l4-pool]
  - name: big
    pools: [l4-pool]
routing:
  decisions:
    - name: any
      priority: 10
      modelRefs: [{ model: small }, { model: big }]
      algorithm:
${algorithm}
`;

async function issuesOf(yaml: string): Promise<PolicyIssue[]> {
  try {
    (await compilePolicyText(yaml, 'team.yaml')).close();
    return [];
  } catch (error) {
    if (error instanceof PolicyError) return [...error.issues];
    throw error;
  }
}

describe('learned selection in a policy', () => {
  it("loads the built-in model for the peer's bare `type: knn`", async () => {
    const policy = await compilePolicyText(POLICY('        type: knn'), 'team.yaml');
    expect(policy.decisions[0]?.selector.algorithm).toBe('knn');
    policy.close();
  });

  it('a missing model file is a policy error naming the file and the fix', async () => {
    const issues = await issuesOf(
      POLICY(`        type: svm\n        svm: { model: ${path.join(dir, 'absent.json')} }`),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('routing.decisions[0].algorithm.svm.model');
    expect(issues[0]?.message).toMatch(/absent\.json: no such file/);
    expect(issues[0]?.message).toMatch(/semantic-router train --task selection/);
  });

  it('a corrupt tensor file is a policy error', async () => {
    const json = path.join(dir, 'knn.json');
    copyFileSync(builtInModelFile('knn'), json);
    const bin = readFileSync(builtInModelFile('knn').replace(/\.json$/, '.bin'));
    bin[100] = (bin[100] as number) ^ 0xff;
    writeFileSync(path.join(dir, 'knn.bin'), bin);
    const issues = await issuesOf(POLICY(`        type: knn\n        knn: { model: ${json} }`));
    expect(issues[0]?.message).toMatch(/corrupt/);
  });

  it('a model of another algorithm, an unknown profile or an unknown field is a policy error', async () => {
    const wrong = await issuesOf(
      POLICY(`        type: mlp\n        mlp: { model: ${builtInModelFile('knn')} }`),
    );
    expect(wrong[0]?.message).toMatch(/is a knn model, not mlp/);
    const unknown = await issuesOf(POLICY('        type: knn\n        knn: { models: { big: gpt-5 } }'));
    expect(unknown[0]?.path).toBe('routing.decisions[0].algorithm.knn.models.big');
    expect(unknown[0]?.message).toMatch(/'gpt-5' is not a profile/);
    const typo = await issuesOf(POLICY('        type: knn\n        knn: { treshold: 0.1 }'));
    expect(typo).toHaveLength(1);
  });
});
