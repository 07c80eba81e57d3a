// `context` family: the estimated prompt tokens of the whole conversation within [min_tokens, max_tokens], K = 1,000.
import { describe, expect, it } from 'vitest';
import type { RequestContext } from '../../../src/request/request-context.ts';
import { type ContextRule, contextFamily } from '../../../src/signals/context-length.ts';
import type { SignalMatch } from '../../../src/signals/signal-family.ts';
import { contextFor } from '../../helpers/request-context.ts';
import { evaluateFamily } from '../../helpers/signal-family.ts';

function rule(raw: Record<string, unknown>): ContextRule {
  return contextFamily.ruleSchema.parse({ name: 'r', ...raw });
}

function evaluate(raw: readonly Record<string, unknown>[], context: RequestContext): readonly SignalMatch[] {
  return evaluateFamily(contextFamily, raw, context);
}

function matchedNames(raw: readonly Record<string, unknown>[], context: RequestContext): string[] {
  return evaluate(raw, context).map((m) => m.name);
}

/** One user message of `chars` ASCII characters. */
const asciiPrompt = (chars: number) => contextFor('a'.repeat(chars));

describe('context: token counts in rules', () => {
  it.each([
    ['32K', 32_000],
    ['32k', 32_000],
    ['1.5M', 1_500_000],
    ['128K', 128_000],
    [' 8K ', 8_000],
    ['8000', 8_000],
    [4096, 4096],
  ])('%j means %i tokens', (written, tokens) => {
    expect(rule({ min_tokens: written }).min_tokens).toBe(tokens);
  });
});

describe('context: bounds are inclusive', () => {
  const context = asciiPrompt(1000);
  const tokens = context.promptTokens;

  it.each([
    ['min = tokens', { min_tokens: tokens }, true],
    ['min = tokens + 1', { min_tokens: tokens + 1 }, false],
    ['max = tokens', { max_tokens: tokens }, true],
    ['max = tokens - 1', { max_tokens: tokens - 1 }, false],
    ['min = max = tokens', { min_tokens: tokens, max_tokens: tokens }, true],
    ['range around tokens', { min_tokens: tokens - 10, max_tokens: tokens + 10 }, true],
    ['range below tokens', { min_tokens: 1, max_tokens: tokens - 1 }, false],
  ])('%s', (_label, bounds, expected) => {
    expect(matchedNames([{ name: 'r', ...bounds }], context)).toEqual(expected ? ['r'] : []);
  });
});

describe('context: K = 1,000 at the 32K boundary', () => {
  // ceil(chars / 4) + 4 per message: 127,984 ASCII characters in one message estimate to exactly 32,000 tokens.
  const at32K = asciiPrompt(127_984);
  const below32K = asciiPrompt(127_980);

  it('the estimates used below are 32,000 and 31,999 tokens', () => {
    expect([at32K.promptTokens, below32K.promptTokens]).toEqual([32_000, 31_999]);
  });

  it.each([
    ['min_tokens: 32K matches 32,000 tokens', { min_tokens: '32K' }, at32K, true],
    ['min_tokens: 32K does not match 31,999 tokens', { min_tokens: '32K' }, below32K, false],
    ['max_tokens: 32K matches 32,000 tokens', { max_tokens: '32K' }, at32K, true],
    ['max_tokens: 32K matches 31,999 tokens', { max_tokens: '32K' }, below32K, true],
  ])('%s', (_label, bounds, context, expected) => {
    expect(matchedNames([{ name: 'r', ...bounds }], context)).toEqual(expected ? ['r'] : []);
  });
});

describe('context: rules with only one bound and several rules', () => {
  const policy = [
    { name: 'short', max_tokens: '1K' },
    { name: 'medium', min_tokens: '1K', max_tokens: '32K' },
    { name: 'long', min_tokens: '32K' },
  ];

  it.each([
    ['an empty prompt is short', contextFor(''), ['short']],
    ['a question is short', contextFor('What is the capital of France?'), ['short']],
    ['8,000 characters are medium', asciiPrompt(8000), ['medium']],
    ['200,000 characters are long', asciiPrompt(200_000), ['long']],
    ['3,992 characters (1,002 tokens) are medium only', asciiPrompt(3992), ['medium']],
  ])('%s', (_label, context, expected) => {
    expect(matchedNames(policy, context)).toEqual(expected);
  });

  it('counts the whole conversation, system prompt and assistant turns included', () => {
    const context = contextFor({
      messages: [
        { role: 'system', content: 'x'.repeat(150_000) },
        { role: 'user', content: 'summarise the above' },
      ],
    });
    expect(matchedNames(policy, context)).toEqual(['long']);
  });

  it('counts CJK text at about one token per character', () => {
    expect(matchedNames(policy, contextFor('字'.repeat(2000)))).toEqual(['medium']);
    expect(matchedNames(policy, asciiPrompt(2000))).toEqual(['short']);
  });

  it('explains a match with the token count', () => {
    const context = contextFor('hello');
    expect(evaluate([{ name: 'r', max_tokens: '1K' }], context)).toEqual([
      { name: 'r', confidence: 1, detail: `tokens=${context.promptTokens}`, value: context.promptTokens },
    ]);
  });
});
