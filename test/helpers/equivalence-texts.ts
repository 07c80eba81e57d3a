// Texts for tests that compare a faster algorithm with the definition it replaces: real prompts from
// ../shared/data (24 languages, exam questions, texts with personal data) and seeded random strings that mix the
// code units the algorithms treat apart (ASCII case, Latin-1, Greek, CJK, surrogate pairs, lone surrogates, the
// characters whose lower case is not one code unit of their own).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { seededRandom } from '../../src/seeded-random.ts';
import { parseCsvRecords } from '../../src/training/datasets/csv.ts';

const DATA = path.resolve('../shared/data');

function csvTexts(file: string, column: string, every: number): string[] {
  const rows = parseCsvRecords(readFileSync(path.join(DATA, file), 'utf8'));
  return rows.filter((_, index) => index % every === 0).map((row) => row[column] ?? '');
}

/** Sentences in 24 languages, MMLU-Pro questions and Presidio's synthetic texts with personal data. */
export function dataTexts(): string[] {
  const presidio = JSON.parse(
    readFileSync(path.join(DATA, 'presidio-synth', 'synth_dataset_v2.json'), 'utf8'),
  ) as { full_text: string }[];
  const texts = [
    ...csvTexts('lingua-langid/lingua_testdata_24langs.csv', 'text', 7),
    ...csvTexts('mmlu-pro/mmlu_pro_test_question_category.csv', 'question', 20),
    ...presidio.filter((_, index) => index % 5 === 0).map((row) => row.full_text),
  ].filter((text) => text.length > 0);
  if (texts.length < 1000) throw new Error(`only ${texts.length} texts read from ${DATA}`);
  return texts;
}

/** Pieces random texts are made of: words, punctuation, digits and the code units algorithms treat apart. */
const PIECES = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  ...' \n\t.,;:!?-_/\\\'"`()[]{}=+^*%$#@&|<>~',
  ...'éÉüÜßñÑçÇøØåÅ×÷¡¿«»',
  ...'αβγΣσςΩπ∫∑√≤≥→…–—“”’',
  ...'中文字日本語カタカナひらがな한국어',
  '\u0130', // İ: two code units in lower case
  '\u212a', // Kelvin sign: lower case is ASCII k
  '\u017f', // long s: upper case is ASCII S
  '\ud83d\ude00', // an emoji (surrogate pair)
  '\ud801\udc00', // Deseret capital (astral letter with case)
  '\ud800', // lone high surrogate
  '\udc00', // lone low surrogate
  'the ',
  'The ',
  'proof ',
  'Python ',
  '```',
  '123-45-6789',
  'DE89 3704 0044 0532 0130 00',
  'jane.doe@example.com',
  '+1 (555) 123-4567',
  '\\frac',
];

/** `count` random texts of up to `maxPieces` pieces, the same ones for the same seed. */
export function randomTexts(count: number, seed: number, maxPieces = 80): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const length = Math.floor(random() * maxPieces);
    let text = '';
    for (let i = 0; i < length; i++) text += PIECES[Math.floor(random() * PIECES.length)];
    return text;
  });
}
