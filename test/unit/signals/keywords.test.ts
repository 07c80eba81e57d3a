// `keywords` family: vLLM Semantic Router v0.3 OR / AND / NOR semantics, word boundaries, regex method, one pass.
import { describe, expect, it } from 'vitest';
import { type KeywordRule, keywordsFamily } from '../../../src/signals/keywords.ts';
import { RuleConfigError, type SignalMatch } from '../../../src/signals/signal-family.ts';
import { type ContextInput, contextFor } from '../../helpers/request-context.ts';
import { TEST_SIGNAL_DEPS as deps, evaluateFamily } from '../../helpers/signal-family.ts';
import { repoFile, runIsolated } from './isolated.ts';

function rules(raw: readonly unknown[]): KeywordRule[] {
  return raw.map((r) => keywordsFamily.ruleSchema.parse(r));
}

function evaluate(raw: readonly unknown[], input: ContextInput | string): readonly SignalMatch[] {
  return evaluateFamily(keywordsFamily, raw, contextFor(input));
}

function matchedNames(raw: readonly unknown[], input: ContextInput | string): string[] {
  return evaluate(raw, input).map((m) => m.name);
}

describe('keywords rule parsing', () => {
  it('defaults to OR, case-insensitive, literal matching', () => {
    const [rule] = rules([{ name: 'k', keywords: ['a'] }]);
    expect(rule).toMatchObject({ operator: 'OR', case_sensitive: false, method: '' });
  });

  it('accepts a lower-case operator as written in v0.3 files', () => {
    expect(rules([{ name: 'k', operator: 'nor', keywords: ['a'] }])[0]?.operator).toBe('NOR');
  });
});

describe('keywords: one rule', () => {
  it.each([
    ['Python matches python case-insensitively', { keywords: ['python'] }, 'I write Python daily', true],
    ['python does not match inside pythonic', { keywords: ['python'] }, 'that is very pythonic', false],
    [
      'python does not match inside my_python (underscore is a word character)',
      { keywords: ['python'] },
      'my_python',
      false,
    ],
    [
      'python does not match python3 (digit is a word character)',
      { keywords: ['python'] },
      'use python3 here',
      false,
    ],
    ['python matches next to punctuation', { keywords: ['python'] }, '(python)!', true],
    ['python matches at the very start and end of the text', { keywords: ['python'] }, 'python', true],
    ['c++ matches in "I love c++ code"', { keywords: ['c++'] }, 'I love c++ code', true],
    ['c++ matches at the end of the text, any case', { keywords: ['c++'] }, 'written in C++', true],
    ['c++ does not match inside abc++', { keywords: ['c++'] }, 'abc++ is not c plus plus', false],
    [
      'multi-word keyword matches across its space',
      { keywords: ['stack trace'] },
      'here is the Stack Trace:',
      true,
    ],
    [
      'multi-word keyword needs its words adjacent',
      { keywords: ['stack trace'] },
      'the stack has a trace',
      false,
    ],
    [
      'Chinese keyword matches inside Chinese text without spaces',
      { keywords: ['函数'] },
      '请写一个函数来计算阶乘',
      true,
    ],
    [
      'keyword mixing Latin and Han has no word boundaries',
      { keywords: ['python函数'] },
      '写一个abcpython函数吧',
      true,
    ],
    ['Cyrillic keyword matches case-insensitively', { keywords: ['привет'] }, 'Привет, мир', true],
    ['Cyrillic keyword does not match inside a longer word', { keywords: ['привет'] }, 'приветствие', false],
    ['accented keyword matches accented text', { keywords: ['café'] }, 'un Café noir', true],
    [
      'OR matches when any keyword is present',
      { keywords: ['rust', 'golang'] },
      'rewrite it in golang',
      true,
    ],
    ['OR does not match when none is present', { keywords: ['rust', 'golang'] }, 'rewrite it in java', false],
    ['OR does not match an empty prompt', { keywords: ['rust'] }, '', false],
    ['AND needs all keywords', { operator: 'AND', keywords: ['urgent', 'now'] }, 'urgent please', false],
    [
      'AND matches when all are present, in any order',
      { operator: 'AND', keywords: ['urgent', 'now'] },
      'now! urgent!',
      true,
    ],
    [
      'NOR matches when none is present',
      { operator: 'NOR', keywords: ['select', 'join'] },
      'hello there',
      true,
    ],
    [
      'NOR does not match when one is present',
      { operator: 'NOR', keywords: ['select', 'join'] },
      'SELECT * FROM t',
      false,
    ],
    ['NOR matches an empty prompt', { operator: 'NOR', keywords: ['select'] }, '', true],
    ['NOR respects word boundaries', { operator: 'NOR', keywords: ['join'] }, 'rejoin the team', true],
    [
      'case_sensitive literal does not match another case',
      { keywords: ['API'], case_sensitive: true },
      'the api',
      false,
    ],
    [
      'case_sensitive literal matches its own case',
      { keywords: ['API'], case_sensitive: true },
      'the API',
      true,
    ],
    [
      'regex method matches a pattern',
      { method: 'regex', keywords: ['\\b\\d{3}-\\d{4}\\b'] },
      'call 555-1234',
      true,
    ],
    [
      'regex method does not match otherwise',
      { method: 'regex', keywords: ['\\b\\d{3}-\\d{4}\\b'] },
      'call me',
      false,
    ],
    [
      'regex is case-insensitive by default',
      { method: 'regex', keywords: ['error\\s+\\d+'] },
      'ERROR 42',
      true,
    ],
    ['case_sensitive regex', { method: 'regex', keywords: ['ERROR'], case_sensitive: true }, 'error', false],
    [
      'regex keywords are not wrapped in word boundaries',
      { method: 'regex', keywords: ['script'] },
      'typescript',
      true,
    ],
    ['a regex metacharacter is literal without method: regex', { keywords: ['a.c'] }, 'abc', false],
    [
      'a regex metacharacter is literal without method: regex (hit)',
      { keywords: ['a.c'] },
      'see a.c now',
      true,
    ],
  ])('%s', (_label, rule, text, expected) => {
    expect(matchedNames([{ name: 'r', ...rule }], text)).toEqual(expected ? ['r'] : []);
  });
});

describe('keywords: what text is searched', () => {
  it('searches every user message, not only the last one', () => {
    const input = {
      messages: [
        { role: 'user', content: 'my python script fails' },
        { role: 'assistant', content: 'show me' },
        { role: 'user', content: 'here it is' },
      ],
    };
    expect(matchedNames([{ name: 'code', keywords: ['python'] }], input)).toEqual(['code']);
  });

  it('ignores keywords that appear only in system or assistant messages', () => {
    const input = {
      messages: [
        { role: 'system', content: 'You are a python expert.' },
        { role: 'assistant', content: 'python is great' },
        { role: 'user', content: 'what is the weather?' },
      ],
    };
    expect(matchedNames([{ name: 'code', keywords: ['python'] }], input)).toEqual([]);
  });

  it('searches the text parts of multi-part content', () => {
    const input = {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'https://example.com/python.png' } },
            { type: 'text', text: 'explain this python code' },
          ],
        },
      ],
    };
    expect(matchedNames([{ name: 'code', keywords: ['python'] }], input)).toEqual(['code']);
  });
});

describe('keywords: many rules evaluated in one pass', () => {
  const policy = [
    { name: 'code', keywords: ['python', 'function', 'stack trace'] },
    { name: 'go_exact', keywords: ['Go'], case_sensitive: true },
    { name: 'go_any', keywords: ['go'] },
    { name: 'stack', keywords: ['stack'] },
    { name: 'trace', keywords: ['trace'] },
    { name: 'urgent', operator: 'AND', keywords: ['urgent', 'now'] },
    { name: 'no_sql', operator: 'NOR', keywords: ['select', 'join'] },
    { name: 'ticket', method: 'regex', keywords: ['[A-Z]{3}-\\d+'], case_sensitive: true },
    { name: 'zh', keywords: ['函数'] },
    { name: 'code_again', keywords: ['python'] },
  ];

  it.each([
    ['a plain sentence', 'hello world', ['no_sql']],
    ['shared keyword reported for both rules', 'a python question', ['code', 'no_sql', 'code_again']],
    ['case-sensitive and -insensitive rules on the same word (lower)', "let's go", ['go_any', 'no_sql']],
    [
      'case-sensitive and -insensitive rules on the same word (upper)',
      'I write Go',
      ['go_exact', 'go_any', 'no_sql'],
    ],
    ['overlapping keywords all found', 'see the stack trace', ['code', 'stack', 'trace', 'no_sql']],
    ['AND, NOR and regex together', 'urgent: JIRA-42 select now', ['urgent', 'ticket']],
    ['Chinese among Latin rules', '写一个函数', ['no_sql', 'zh']],
  ])('%s', (_label, text, expected) => {
    expect(matchedNames(policy, text)).toEqual(expected);
  });

  it('reports matches in rule order with confidence 1 and a keyword count', () => {
    const matches = evaluate(policy, 'urgent python function now');
    expect(matches.map((m) => m.name)).toEqual(['code', 'urgent', 'no_sql', 'code_again']);
    expect(matches.every((m) => m.confidence === 1)).toBe(true);
    expect(matches[0]?.detail).toBe('2/3 keywords');
  });
});

describe('keywords: invalid regex', () => {
  it('is a RuleConfigError pointing at the rule index and keyword', () => {
    const policy = rules([
      { name: 'fine', keywords: ['python'] },
      { name: 'also_fine', method: 'regex', keywords: ['\\d+'] },
      { name: 'broken', method: 'regex', keywords: ['ok', '(unclosed'] },
    ]);
    let thrown: unknown;
    try {
      keywordsFamily.create(policy, deps);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RuleConfigError);
    const problems = (thrown as RuleConfigError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ ruleIndex: 2, path: 'keywords[1]' });
    expect(problems[0]?.message).toMatch(/invalid regular expression/);
    expect(problems[0]?.hint).toMatch(/method: regex/);
  });

  it('accepts the same text as a literal keyword', () => {
    expect(matchedNames([{ name: 'paren', keywords: ['(unclosed'] }], 'an (unclosed paren')).toEqual([
      'paren',
    ]);
  });
});

describe('keywords: regexes that can match the empty string', () => {
  it('terminate on text with characters outside the BMP (emoji)', async () => {
    // A regex like `\d*` matches empty at every position; the scan must still advance past a surrogate pair.
    const source = `
      const { keywordsFamily } = await import(${repoFile('src/signals/keywords.ts')});
      const { contextFor } = await import(${repoFile('test/helpers/request-context.ts')});
      const rule = keywordsFamily.ruleSchema.parse({ name: 'digits', method: 'regex', keywords: ['\\\\d*'] });
      const evaluator = keywordsFamily.create([rule], {});
      console.log(JSON.stringify(evaluator.evaluate(contextFor('thanks 👍')).map((m) => m.name)));
    `;
    const result = await runIsolated(source, 2000);
    expect(result.finished, 'evaluation did not return within 2 s (infinite loop)').toBe(true);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual(['digits']);
  });
});
