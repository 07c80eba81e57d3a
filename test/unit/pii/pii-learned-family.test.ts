// `pii` rules over PERSON / STREET_ADDRESS: the built-in model, model loading rules, pluggable formats, failures.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PolicyError, type PolicyIssue } from '../../../src/errors.ts';
import { InferenceError, OnnxSessionPool } from '../../../src/ml/onnx-session-pool.ts';
import type { SpanModelLoader } from '../../../src/ml/pii/span-model-loader.ts';
import type { EntitySpan, SpanModel } from '../../../src/ml/span-model.ts';
import { piiTypeOfLabel } from '../../../src/pii/entity-labels.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import { createPiiFamily, needsEntityModel, piiFamily } from '../../../src/signals/pii.ts';
import { RuleConfigError, type RuleProblem } from '../../../src/signals/signal-family.ts';
import { contextFor } from '../../helpers/request-context.ts';
import { NER_LABELS, tokenClassifierOnnx, writeHfDir } from '../ml/hf/tiny-hf-models.ts';
import { evaluate, PII_TEST_DEPS, testPool } from './pii-helpers.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'pii-learned-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NAME = 'My name is Maria Gonzalez';
const ADDRESS = 'My address is 1600 Pennsylvania Avenue NW, Washington.';

async function problemsOf(
  rawRules: readonly unknown[],
  deps = PII_TEST_DEPS,
): Promise<readonly RuleProblem[]> {
  try {
    await evaluate(rawRules, contextFor('x'), deps);
  } catch (error) {
    if (error instanceof RuleConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('pii family with the built-in entity model', () => {
  it('matches a name when a rule asks for PERSON, reporting the type and count but never the value', async () => {
    const matches = await evaluate(
      [{ name: 'personal', pii_types: ['PERSON', 'EMAIL_ADDRESS'], pii_types_allowed: ['IP_ADDRESS'] }],
      contextFor(NAME),
    );
    expect(matches).toEqual([{ name: 'personal', confidence: expect.any(Number), detail: 'PERSON×1' }]);
    const [match] = matches;
    expect(match?.confidence).toBeGreaterThanOrEqual(0.5);
    expect(match?.confidence).toBeLessThanOrEqual(1);
    expect(match?.detail).not.toMatch(/Maria|Gonzalez/);
  });

  it('reports street addresses and honours pii_types', async () => {
    const rules = [
      { name: 'people', pii_types: ['person'] },
      { name: 'addresses', pii_types: ['STREET_ADDRESS'] },
    ];
    expect(await evaluate(rules, contextFor(ADDRESS))).toEqual([
      { name: 'addresses', confidence: expect.any(Number), detail: 'STREET_ADDRESS×1' },
    ]);
  });

  it('merges validator and model spans', async () => {
    const text = `${NAME}, mail jane@example.com`;
    const [match] = await evaluate([{ name: 'p', pii_types: ['PERSON', 'EMAIL_ADDRESS'] }], contextFor(text));
    expect(match?.detail).toBe('PERSON×1,EMAIL_ADDRESS×1');
  });

  it('leaves names alone for a rule that only allows types (learned types are opt-in)', async () => {
    const text = `${NAME}, mail jane@example.com`;
    const [match] = await evaluate([{ name: 'p', pii_types_allowed: ['IP_ADDRESS'] }], contextFor(text));
    expect(match?.detail).toBe('EMAIL_ADDRESS×1');
  });

  it('finds nothing in a neutral prompt', async () => {
    const context = contextFor('Explain how photosynthesis works in plants.');
    expect(await evaluate([{ name: 'p', pii_types: ['PERSON', 'STREET_ADDRESS'] }], context)).toEqual([]);
  });

  it('scans earlier user messages only with include_history', async () => {
    const context = contextFor({
      messages: [
        { role: 'user', content: NAME },
        { role: 'assistant', content: 'Nice to meet you.' },
        { role: 'user', content: 'What can you do?' },
      ],
    });
    const rules = [
      { name: 'last', pii_types: ['PERSON'] },
      { name: 'history', pii_types: ['PERSON'], include_history: true },
    ];
    expect((await evaluate(rules, context)).map((m) => m.name)).toEqual(['history']);
  });

  it('reads a 1 MB prompt whole, window by window, without tagging word fragments at window edges', async () => {
    const filler = 'the quick brown fox jumps over the lazy dog '.repeat(12_000);
    const text = `${NAME}. ${filler}${NAME} called again. ${filler}`;
    const matches = await evaluate([{ name: 'p', pii_types: ['PERSON'] }], contextFor(text));
    expect(matches.map((m) => m.detail)).toEqual(['PERSON×2']);
  });

  it('loads a model directory named relative to the policy file', async () => {
    const deps = { ...PII_TEST_DEPS, policyDir: dir };
    const model = path.relative(dir, path.resolve('models/pii'));
    const matches = await evaluate([{ name: 'p', model, pii_types: ['PERSON'] }], contextFor(NAME), deps);
    expect(matches.map((m) => m.detail)).toEqual(['PERSON×1']);
  });
});

describe('when the pii family loads a model', () => {
  it('knows which rules can report a learned type', () => {
    const parse = (raw: unknown) => piiFamily.ruleSchema.parse(raw);
    expect(needsEntityModel(parse({ name: 'p' }))).toBe(false);
    expect(needsEntityModel(parse({ name: 'p', pii_types_allowed: ['PERSON'] }))).toBe(false);
    expect(needsEntityModel(parse({ name: 'p', model: './ner' }))).toBe(true);
    expect(needsEntityModel(parse({ name: 'p', model: './ner', pii_types_allowed: ['PERSON'] }))).toBe(true);
    expect(
      needsEntityModel(parse({ name: 'p', model: './ner', pii_types_allowed: ['person', 'street_address'] })),
    ).toBe(false);
    expect(
      needsEntityModel(
        parse({ name: 'p', pii_types: ['STREET_ADDRESS'], pii_types_allowed: ['STREET_ADDRESS'] }),
      ),
    ).toBe(false);
    expect(needsEntityModel(parse({ name: 'p', pii_types: ['EMAIL_ADDRESS', 'US_SSN'] }))).toBe(false);
    expect(needsEntityModel(parse({ name: 'p', pii_types: ['EMAIL_ADDRESS', 'PERSON'] }))).toBe(true);
  });

  it('keeps heuristic-only rules synchronous and model-free', () => {
    const pool = new OnnxSessionPool();
    const deps = { ...PII_TEST_DEPS, sessionPool: pool, builtinModelsDir: path.join(dir, 'nowhere') };
    const rules = [
      { name: 'structured', pii_types_allowed: ['PERSON', 'STREET_ADDRESS'] },
      { name: 'cards', pii_types: ['CREDIT_CARD'], model: 'no-such-model' },
    ].map((r) => piiFamily.ruleSchema.parse(r));
    const evaluator = piiFamily.create(rules, deps);
    expect(evaluator).not.toBeInstanceOf(Promise);
    if (evaluator instanceof Promise) return;
    const matches = evaluator.evaluate(contextFor(`${NAME}, card 4111 1111 1111 1111`));
    expect(matches).toEqual([
      { name: 'structured', confidence: 1, detail: 'CREDIT_CARD×1' },
      { name: 'cards', confidence: 1, detail: 'CREDIT_CARD×1' },
    ]);
    expect(pool.size).toBe(0);
  });

  it('reports a missing built-in model at `model`, naming the file', async () => {
    const builtinModelsDir = path.join(dir, 'empty-models');
    mkdirSync(builtinModelsDir, { recursive: true });
    const problems = await problemsOf([{ name: 'p', pii_types: ['PERSON'] }], {
      ...PII_TEST_DEPS,
      builtinModelsDir,
    });
    expect(problems).toEqual([
      expect.objectContaining({
        ruleIndex: 0,
        path: 'model',
        message: expect.stringContaining(path.join(builtinModelsDir, 'pii', 'model.onnx')),
        hint: expect.stringContaining("built-in 'pii'"),
      }),
    ]);
  });

  it('reports a file that is not an entity model', async () => {
    writeFileSync(path.join(dir, 'corrupt.onnx'), 'not a model');
    const problems = await problemsOf([{ name: 'p', model: 'corrupt.onnx' }], {
      ...PII_TEST_DEPS,
      policyDir: dir,
    });
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'model',
        message: expect.stringContaining(path.join(dir, 'corrupt.onnx')),
      }),
    ]);
  });

  it('makes a missing model directory a policy validation error at the rule, naming the file', async () => {
    const yaml = `version: v1
default_model: small
pools:
  - name: l4-pool
    max_context_tokens: 32K
models:
  - name: small
    pools: [l4-pool]
routing:
  signals:
    pii:
      - { name: personal, pii_types_allowed: [IP_ADDRESS], model: ./no-such-model }
  decisions:
    - name: private
      priority: 10
      rules: { operator: OR, conditions: [{ type: pii, name: personal }] }
      modelRefs: [{ model: small }]
`;
    let issues: readonly PolicyIssue[] = [];
    try {
      (await compilePolicyText(yaml, path.join(dir, 'policy.yaml'), { sessionPool: testPool })).close();
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      issues = error.issues;
    }
    expect(issues).toEqual([
      expect.objectContaining({
        path: 'routing.signals.pii[0].model',
        message: expect.stringContaining(path.join(dir, 'no-such-model')),
      }),
    ]);
  });
});

/** A stand-in for a Hugging Face token-classification model: fixed spans for fixed words. */
class FakeSpanModel implements SpanModel {
  readonly file: string;
  readonly labels = ['PER', 'LOC', 'ORG'];
  readonly windowChars = 512;
  closed = false;
  constructor(
    file: string,
    readonly fail = false,
  ) {
    this.file = file;
  }
  async spans(texts: readonly string[]): Promise<EntitySpan[][]> {
    if (this.fail) throw new InferenceError('fake inference failure');
    return texts.map((text) => {
      const out: EntitySpan[] = [];
      for (const [word, label] of [
        ['Alice', 'PER'],
        ['Main Street', 'LOC'],
        ['Acme', 'ORG'],
      ] as const) {
        const start = text.indexOf(word);
        if (start >= 0) out.push({ label, start, end: start + word.length, score: 0.9 });
      }
      return out.sort((a, b) => a.start - b.start);
    });
  }
  close(): void {
    this.closed = true;
  }
}

function fakeLoader(models: FakeSpanModel[], fail = false): SpanModelLoader {
  return {
    name: 'fake',
    accepts: async (file) => file.endsWith('fake/model.onnx'),
    load: async (_pool, file) => {
      const model = new FakeSpanModel(file, fail);
      models.push(model);
      return model;
    },
  };
}

describe('pluggable entity model formats', () => {
  it('maps common NER labels to PII types', () => {
    expect(
      ['PER', 'B-PER', 'i-per', 'PERSON', 'LOC', 'ADDRESS', 'STREET', 'ORG', 'MISC', 'O'].map(piiTypeOfLabel),
    ).toEqual([
      'PERSON',
      'PERSON',
      'PERSON',
      'PERSON',
      'STREET_ADDRESS',
      'STREET_ADDRESS',
      'STREET_ADDRESS',
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('reads a Hugging Face token-classification export, mapping PER and LOC', async () => {
    writeHfDir(path.join(dir, 'hf-ner'), { onnx: tokenClassifierOnnx(), labels: NER_LABELS });
    const deps = { ...PII_TEST_DEPS, policyDir: dir };
    // Contact wording makes the name personal data, `lives in` makes the place an address (see entity-evidence.ts).
    const context = contextFor('Please contact John Smith, who lives in Paris');
    const matches = await evaluate([{ name: 'p', model: 'hf-ner' }], context, deps);
    expect(matches).toEqual([
      { name: 'p', confidence: expect.any(Number), detail: 'PERSON×1,STREET_ADDRESS×1' },
    ]);
  });

  it('loads a model directory through a registered loader and closes it with the evaluator', async () => {
    const models: FakeSpanModel[] = [];
    const family = createPiiFamily([fakeLoader(models)]);
    const deps = { ...PII_TEST_DEPS, policyDir: dir };
    mkdirSync(path.join(dir, 'fake'), { recursive: true });
    const rules = [
      { name: 'a', model: 'fake' },
      { name: 'b', model: './fake/', pii_types: ['STREET_ADDRESS'] },
    ];
    const matches = await evaluate(rules, contextFor('Alice of Acme lives on Main Street'), deps, family);
    expect(matches).toEqual([
      // The model says 0.9; an address cue (`lives on`) is evidence for both spans, which lifts them halfway to 1.
      { name: 'a', confidence: 0.95, detail: 'PERSON×1,STREET_ADDRESS×1' },
      { name: 'b', confidence: 0.95, detail: 'STREET_ADDRESS×1' },
    ]);
    expect(models).toHaveLength(1);
    expect(models[0]?.closed).toBe(true);
  });

  it('reports a bare name only to a rule that lowers entity_threshold, at 0.4 of the model score', async () => {
    const family = createPiiFamily([fakeLoader([])]);
    const deps = { ...PII_TEST_DEPS, policyDir: dir };
    mkdirSync(path.join(dir, 'fake'), { recursive: true });
    const rules = [
      { name: 'default', model: 'fake', pii_types: ['PERSON'] },
      { name: 'bare', model: 'fake', pii_types: ['PERSON'], entity_threshold: 0.3 },
    ];
    const bare = await evaluate(rules, contextFor('Alice bought 3 apples. How many are left?'), deps, family);
    expect(bare).toEqual([{ name: 'bare', confidence: expect.closeTo(0.36), detail: 'PERSON×1' }]);
    const named = await evaluate(rules, contextFor('My name is Alice'), deps, family);
    expect(named.map((m) => m.name)).toEqual(['default', 'bare']);
  });

  it('rejects the evaluation when inference fails, so the engine applies on_error', async () => {
    const family = createPiiFamily([fakeLoader([], true)]);
    const deps = { ...PII_TEST_DEPS, policyDir: dir };
    await expect(evaluate([{ name: 'a', model: 'fake' }], contextFor('Alice'), deps, family)).rejects.toThrow(
      InferenceError,
    );
  });
});
