import { describe, expect, it } from 'vitest';
import { estimateJoinedTokens, estimateTokens } from '../../../src/request/request-context.ts';
import { dataTexts, randomTexts } from '../../helpers/equivalence-texts.ts';

/** The estimate as first defined: a count per character class, surrogate halves half a token each. */
function referenceEstimate(texts: readonly string[]): number {
  let latin = Math.max(0, texts.length - 1);
  let alphabetic = 0;
  let wide = 0;
  for (const text of texts) {
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code < 0x0370) latin++;
      else if (code < 0x2e80) alphabetic++;
      else if (code >= 0xd800 && code <= 0xdfff) wide += 0.5;
      else wide++;
    }
  }
  return Math.ceil(latin / 4 + alphabetic / 2 + wide);
}

describe('prompt token estimate (one test per Latin character)', () => {
  it('gives the reference estimate for every text of the data sets', () => {
    const texts = dataTexts();
    for (const text of texts) expect(estimateTokens(text)).toBe(referenceEstimate([text]));
  });

  it('gives the reference estimate for random texts and conversations of them', () => {
    const texts = randomTexts(3000, 15);
    for (let i = 0; i < texts.length; i++) {
      const conversation = texts.slice(i, i + (i % 5));
      expect(estimateJoinedTokens(conversation)).toBe(referenceEstimate(conversation));
    }
  });

  it('counts CJK characters as a token each and emoji as one', () => {
    expect(estimateTokens('中文字')).toBe(3);
    expect(estimateTokens('\ud83d\ude00\ud83d\ude00')).toBe(2);
    expect(estimateJoinedTokens(['abc', 'αβ'])).toBe(Math.ceil(4 / 4 + 2 / 2));
  });

  it('counts accented Latin as Latin and reads the script boundary at U+0370', () => {
    expect(estimateTokens('café señor')).toBe(Math.ceil(10 / 4));
    expect(estimateTokens('\u036f'.repeat(8))).toBe(2);
    expect(estimateTokens('\u0370'.repeat(8))).toBe(4);
    expect(estimateJoinedTokens(['plain ascii', 'and \uffff'])).toBe(Math.ceil(16 / 4 + 1));
  });
});
