// The packed n-gram table must give exactly eld's answers: same language, same scores, same reliability.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { eld } from 'eld/extrasmall';
import { beforeAll, describe, expect, it } from 'vitest';
import { type EldDetector, loadCompactEld, parseNgramTable } from '../../../src/signals/compact-eld.ts';
import { FIFTY_LANGUAGES } from '../../fixtures/fifty-languages.ts';

const LINGUA_CSV = resolve('../shared/data/lingua-langid/lingua_testdata_24langs.csv');

/** The text column of every line (`lang,kind,text`, the text quoted when it holds commas or quotes). */
function linguaTexts(): string[] {
  return readFileSync(LINGUA_CSV, 'utf8')
    .split('\n')
    .slice(1)
    .filter((line) => line.length > 0)
    .map((line) => {
      const text = line.slice(line.indexOf(',', line.indexOf(',') + 1) + 1);
      return text.startsWith('"') ? text.slice(1, -1).replaceAll('""', '"') : text;
    });
}

function answer(detector: EldDetector, text: string) {
  const result = detector.detect(text);
  // Reliability first: the compact result works it out without the sorted scores.
  const reliable = result.isReliable();
  const best = result.bestScore?.() ?? result.getScores()[result.language];
  return { language: result.language, reliable, best, scores: result.getScores() };
}

describe('compact eld: same answers as eld', () => {
  let compact: EldDetector;
  beforeAll(async () => {
    compact = await loadCompactEld();
  });

  it("is built from the packed table, not eld's own static build", () => {
    expect(compact).not.toBe(eld);
  });

  it('on fifty languages and odd inputs', () => {
    const texts = [
      ...FIFTY_LANGUAGES.map((s) => s.text),
      '',
      '   ',
      '42',
      '👋🏽 hola',
      "l'été d'après",
      'constructor __proto__ toString hasOwnProperty',
      'ÀÉÎÕÜ'.repeat(200),
      // Words longer than eld's 70 bytes end in one long n-gram; two such words share it when their tails do.
      `${'x'.repeat(90)} ${'y'.repeat(75)}ab ${'z'.repeat(100)}ab ${'é'.repeat(50)} der die das`,
      // As many one-letter words as eld reads.
      'a b c d e f g h i j k l m n o p q r s t u v w x y z '.repeat(20),
    ];
    for (const text of texts) expect(answer(compact, text), text).toEqual(answer(eld, text));
  });

  it('on the 9,600 sentences and words of the lingua test set (24 languages)', () => {
    const texts = linguaTexts();
    expect(texts.length).toBeGreaterThan(9000);
    let differing = 0;
    const languages = new Set<string>();
    for (const text of texts) {
      const mine = answer(compact, text);
      languages.add(mine.language);
      if (JSON.stringify(mine) !== JSON.stringify(answer(eld, text))) differing++;
    }
    expect(differing).toBe(0);
    expect(languages.size).toBeGreaterThanOrEqual(24);
  });
});

describe('parseNgramTable', () => {
  const source = `/* header */
export const ngramsData = {type:'T2',languages:{0:'en',1:'fr'},isSubset:false,ngrams:{' the ':{0:120},'l\\'é':{1:90,0:3},ab_c:{1:7},"q\\"x":{0:-2}}};`;

  it('reads quoted, escaped and bare keys with their (language, score) pairs', () => {
    const table = parseNgramTable(source);
    expect(table.type).toBe('T2');
    expect(table.languages).toEqual({ 0: 'en', 1: 'fr' });
    expect(table.ngramCount).toBe(4);
    expect(table.scoresOf(' the ')).toEqual({ 0: 120 });
    expect(table.scoresOf("l'é")).toEqual({ 0: 3, 1: 90 });
    expect(table.scoresOf('ab_c')).toEqual({ 1: 7 });
    expect(table.scoresOf('q"x')).toEqual({ 0: -2 });
    expect(table.scoresOf('missing')).toBeUndefined();
  });

  it.each([
    ['no table', 'export const other = {}'],
    ['truncated', source.slice(0, source.indexOf('ab_c'))],
    ['a non-integer score', source.replace('{1:7}', "{1:'x'}")],
    ['no ngrams', "export const ngramsData = {type:'T',languages:{0:'en'}}"],
  ])('rejects %s', (_case, text) => {
    expect(() => parseNgramTable(text)).toThrow();
  });
});
