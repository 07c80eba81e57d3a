// The language family detects a prompt longer than the signal-text cap from the same characters as the capped
// text (`lastUserText`) it was defined on, though it reads them from the whole message.
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_SIGNAL_TEXT_CHARS } from '../../../src/request/request-context.ts';
import { loadCompactEld } from '../../../src/signals/compact-eld.ts';
import {
  createLanguageDetector,
  type DetectedLanguage,
  languageFamily,
} from '../../../src/signals/language.ts';
import type { SignalEvaluator } from '../../../src/signals/signal-family.ts';
import { dataTexts, randomTexts } from '../../helpers/equivalence-texts.ts';
import { contextFor } from '../../helpers/request-context.ts';

const CODES = 'en zh ja ko es fr de it pt ru ar hi tr pl nl sv vi th id uk cs el he bn fa'.split(' ');
const RULE = { name: 'any', languages: CODES, threshold: 0.01 };

describe('language of prompts longer than the signal-text cap', () => {
  let evaluator: SignalEvaluator;
  let reference: (text: string) => DetectedLanguage | undefined;
  beforeAll(async () => {
    evaluator = await languageFamily.create([languageFamily.ruleSchema.parse(RULE)], { policyDir: '.' });
    const eld = await loadCompactEld();
    reference = createLanguageDetector((text) => eld.detect(text));
  });

  it('matches as the detector run on the capped text does, for data-set and random openings', async () => {
    const openings = [...dataTexts().filter((_, index) => index % 4 === 0), ...randomTexts(100, 7, 300)];
    // A different language after the opening: what the cap keeps of the tail must not matter either.
    const filler = ' Ceci est une longue note de contexte.'.repeat(Math.ceil(MAX_SIGNAL_TEXT_CHARS / 30));
    for (const opening of openings) {
      const context = contextFor(`${opening}\n${filler}`);
      expect(context.lastUserText.length).toBe(MAX_SIGNAL_TEXT_CHARS);
      const expected = reference(context.lastUserText);
      const matches = await evaluator.evaluate(context);
      if (expected === undefined || !CODES.includes(expected.code) || expected.confidence < RULE.threshold)
        expect(matches).toEqual([]);
      else
        expect(matches).toEqual([
          { name: 'any', confidence: expected.confidence, detail: `detected=${expected.code}` },
        ]);
    }
  });
});
