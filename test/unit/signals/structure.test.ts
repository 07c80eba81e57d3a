// `structure` family: exists / count / density / sequence features over regex, keyword_set, sequence and text_bytes.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src/seeded-random.ts';
import { RuleConfigError, type SignalMatch } from '../../../src/signals/signal-family.ts';
import { countTextUnits, type StructureRule, structureFamily } from '../../../src/signals/structure.ts';
import { type ContextInput, contextFor } from '../../helpers/request-context.ts';
import { TEST_SIGNAL_DEPS as deps, evaluateFamily } from '../../helpers/signal-family.ts';
import { repoFile, runIsolated } from './isolated.ts';

function rules(raw: readonly unknown[]): StructureRule[] {
  return raw.map((r) => structureFamily.ruleSchema.parse(r));
}

function evaluate(raw: readonly unknown[], input: ContextInput | string): readonly SignalMatch[] {
  return evaluateFamily(structureFamily, raw, contextFor(input));
}

const regex = (pattern: string, extra: Record<string, unknown> = {}) => ({
  type: 'regex',
  pattern,
  ...extra,
});
const keywordSet = (keywords: string[], extra: Record<string, unknown> = {}) => ({
  type: 'keyword_set',
  keywords,
  ...extra,
});
const sequences = (...seqs: string[][]) => ({ type: 'sequence', sequences: seqs });

describe('structure: one rule', () => {
  it.each([
    ['exists regex: hit', { type: 'exists', source: regex('\\?') }, undefined, 'Is it?', true],
    ['exists regex: miss', { type: 'exists', source: regex('\\?') }, undefined, 'It is.', false],
    ['exists regex: empty prompt', { type: 'exists', source: regex('\\?') }, undefined, '', false],
    [
      'regex is case-insensitive by default',
      { type: 'exists', source: regex('todo') },
      undefined,
      'TODO: x',
      true,
    ],
    [
      'case_sensitive regex',
      { type: 'exists', source: regex('todo', { case_sensitive: true }) },
      undefined,
      'TODO: x',
      false,
    ],
    [
      'count keyword_set reaches gte',
      { type: 'count', source: keywordSet(['first', 'then']) },
      { gte: 2 },
      'first a, then b',
      true,
    ],
    [
      'count keyword_set below gte',
      { type: 'count', source: keywordSet(['first', 'then']) },
      { gte: 2 },
      'first only',
      false,
    ],
    [
      'keyword_set counts occurrences, not distinct keywords',
      { type: 'count', source: keywordSet(['then']) },
      { gte: 3 },
      'then then then',
      true,
    ],
    [
      'keyword_set keywords have word boundaries',
      { type: 'count', source: keywordSet(['first']) },
      { gte: 1 },
      'firstly, thirst',
      false,
    ],
    [
      'keyword_set is case-insensitive by default',
      { type: 'exists', source: keywordSet(['step']) },
      undefined,
      'STEP 1',
      true,
    ],
    [
      'keyword_set Chinese keyword inside Chinese text',
      { type: 'exists', source: keywordSet(['步骤']) },
      undefined,
      '第一步骤是安装',
      true,
    ],
    ['count regex occurrences', { type: 'count', source: regex('```') }, { gte: 2 }, '```js\nx\n```', true],
    [
      'density: 3 marks in 3 words',
      { type: 'density', source: regex('[!?]') },
      { gt: 0.5 },
      'Why? Really? Now!',
      true,
    ],
    [
      'density: 1 mark in 6 words',
      { type: 'density', source: regex('[!?]') },
      { gt: 0.5 },
      'Why is this the case, really?',
      false,
    ],
    [
      'density counts each Han character as a unit',
      { type: 'density', source: regex('[?？]') },
      { lt: 0.3 },
      '为什么会这样呢？',
      true,
    ],
    [
      'density of an empty prompt does not divide by zero',
      { type: 'density', source: regex('x') },
      { gte: 0 },
      '',
      true,
    ],
    [
      'sequence in order',
      { type: 'sequence', source: sequences(['first', 'then']) },
      undefined,
      'first do X, then Y',
      true,
    ],
    [
      'sequence out of order',
      { type: 'sequence', source: sequences(['first', 'then']) },
      undefined,
      'then Y, first X',
      false,
    ],
    [
      'sequence is case-insensitive by default',
      { type: 'sequence', source: sequences(['first', 'then']) },
      undefined,
      'First X. Then Y.',
      true,
    ],
    [
      'sequence with a predicate counts repetitions',
      { type: 'sequence', source: sequences(['first', 'then']) },
      { gte: 2 },
      'first a then b; first c then d',
      true,
    ],
    [
      'sequence with a predicate: one repetition is not two',
      { type: 'sequence', source: sequences(['first', 'then']) },
      { gte: 2 },
      'first a then b',
      false,
    ],
    [
      'any of several sequences',
      { type: 'sequence', source: sequences(['if', 'else'], ['try', 'catch']) },
      undefined,
      'try it, catch it',
      true,
    ],
    [
      'text_bytes counts UTF-8 bytes, not characters',
      { type: 'count', source: { type: 'text_bytes' } },
      { gte: 12 },
      '你好你好',
      true,
    ],
    [
      'text_bytes below the bound',
      { type: 'count', source: { type: 'text_bytes' } },
      { gte: 12 },
      'hello',
      false,
    ],
  ])('%s', (_label, feature, predicate, text, expected) => {
    const rule = { name: 'r', feature, ...(predicate && { predicate }) };
    expect(evaluate([rule], text).map((m) => m.name)).toEqual(expected ? ['r'] : []);
  });
});

describe('structure: predicate bounds', () => {
  it.each([
    [2, false],
    [3, true],
    [4, true],
    [5, false],
  ])('gt 2, lte 4: %i exclamation marks → %s', (marks, expected) => {
    const rule = { name: 'r', feature: { type: 'count', source: regex('!') }, predicate: { gt: 2, lte: 4 } };
    expect(evaluate([rule], `wow${'!'.repeat(marks)}`).length === 1).toBe(expected);
  });

  it.each([
    [1, true],
    [2, true],
    [3, false],
  ])('gte 1, lt 3: %i code fences → %s', (fences, expected) => {
    const rule = {
      name: 'r',
      feature: { type: 'count', source: regex('```') },
      predicate: { gte: 1, lt: 3 },
    };
    expect(evaluate([rule], 'x ```'.repeat(fences)).length === 1).toBe(expected);
  });
});

describe('structure: what text is measured', () => {
  it('looks only at the last user message', () => {
    const rule = { name: 'q', feature: { type: 'exists', source: regex('\\?') } };
    const input = {
      messages: [
        { role: 'user', content: 'what is this?' },
        { role: 'assistant', content: 'a thing?' },
        { role: 'user', content: 'thanks.' },
      ],
    };
    expect(evaluate([rule], input)).toEqual([]);
  });

  it('evaluates several rules in one pass and explains each match', () => {
    const matches = evaluate(
      [
        { name: 'question', feature: { type: 'exists', source: regex('\\?') } },
        {
          name: 'steps',
          feature: { type: 'count', source: keywordSet(['first', 'then']) },
          predicate: { gte: 2 },
        },
        { name: 'exclaim', feature: { type: 'exists', source: regex('!') } },
        { name: 'ordered', feature: { type: 'sequence', source: sequences(['first', 'then']) } },
      ],
      'First this, then that?',
    );
    expect(matches.map((m) => m.name)).toEqual(['question', 'steps', 'ordered']);
    expect(matches.find((m) => m.name === 'steps')?.detail).toBe('count=2 (gte 2)');
  });
});

describe('countTextUnits', () => {
  it.each([
    ['', 0],
    ['hello world', 2],
    ['hello, world! 42', 3],
    ['你好世界', 4],
    ['hello 世界', 3],
    ['こんにちは', 5],
    ['😀 🎉', 0],
  ])('%j has %i units', (text, units) => {
    expect(countTextUnits(text)).toBe(units);
  });

  // The definition, one character at a time: CJK characters are units, runs of other letters/digits are units.
  function referenceUnits(text: string): number {
    const cjk = /[\u4e00-\u9fff\u3400-\u4dbf\u3040-\u30ff\uac00-\ud7af\u1100-\u11ff\uf900-\ufaff]/;
    let units = 0;
    let inRun = false;
    for (const unit of text.split('')) {
      if (cjk.test(unit)) {
        units++;
        inRun = false;
      } else if (/[\p{L}\p{N}]/u.test(unit)) {
        if (!inRun) units++;
        inRun = true;
      } else inRun = false;
    }
    return units;
  }

  it('counts as the definition does on mixed scripts, and ranges add up to the whole', () => {
    const random = seededRandom(11);
    const alphabet = [...'ab Z9 ,.-\n你好こんカナ한국ÀéßДжΣ١٢😀\u0301\u00a0\t'];
    for (let round = 0; round < 200; round++) {
      let text = '';
      const length = Math.floor(random() * 80);
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
      const units = referenceUnits(text);
      expect(countTextUnits(text)).toBe(units);
      const cut = Math.floor(random() * (text.length + 1));
      expect(countTextUnits(text, 0, cut) + countTextUnits(text, cut)).toBe(units);
    }
  });
});

describe('structure: invalid regex', () => {
  it('is a RuleConfigError pointing at the rule', () => {
    const policy = rules([
      { name: 'ok', feature: { type: 'exists', source: keywordSet(['a', 'b']) } },
      { name: 'bad', feature: { type: 'exists', source: regex('[unclosed') } },
    ]);
    let thrown: unknown;
    try {
      structureFamily.create(policy, deps);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RuleConfigError);
    expect((thrown as RuleConfigError).problems).toEqual([
      expect.objectContaining({
        ruleIndex: 1,
        path: 'feature.source.pattern',
        message: expect.stringContaining('invalid regular expression'),
      }),
    ]);
  });
});

describe('structure: regexes that can match the empty string', () => {
  it('terminate on text with characters outside the BMP (emoji)', async () => {
    const source = `
      const { structureFamily } = await import(${repoFile('src/signals/structure.ts')});
      const { contextFor } = await import(${repoFile('test/helpers/request-context.ts')});
      const rule = structureFamily.ruleSchema.parse({
        name: 'digits',
        feature: { type: 'exists', source: { type: 'regex', pattern: '[0-9]*' } },
      });
      const evaluator = structureFamily.create([rule], {});
      console.log(JSON.stringify(evaluator.evaluate(contextFor('great 🎉')).map((m) => m.name)));
    `;
    const result = await runIsolated(source, 2000);
    expect(result.finished, 'evaluation did not return within 2 s (infinite loop)').toBe(true);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual(['digits']);
  });
});
