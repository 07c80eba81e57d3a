// `language` family: rule names are ISO 639-1 codes matched against the detected language of the user's turn.
import { z } from 'zod';
import { defineSignalFamily, type SignalMatch } from './signal-family.ts';

const languageRuleSchema = z.strictObject({
  /** The language code to match (`en`, `zh`, `es`, …), as in vLLM Semantic Router. */
  name: z.string().min(1),
  description: z.string().optional(),
  /** Minimum detection confidence; 0 or absent means the default 0.3. */
  threshold: z.number().min(0).max(1).optional(),
  /** Extension: match any of these codes instead of the rule name. */
  languages: z.array(z.string().min(2)).optional(),
});

export type LanguageRule = z.infer<typeof languageRuleSchema>;

export interface DetectedLanguage {
  readonly code: string;
  readonly confidence: number;
}

/** Enough text to be sure of the language; the rest only costs time (n-gram scoring is linear in length). */
const MAX_DETECT_CHARS = 400;
const DEFAULT_THRESHOLD = 0.3;
/** About what the n-gram detector reports for clear sentences. */
const FAST_PATH_CONFIDENCE = 0.8;

/** Scripts used by (nearly) one language decide short texts that n-gram statistics cannot. */
const SCRIPT_LANGUAGES: readonly [RegExp, string][] = [
  [/[\p{Script=Hiragana}\p{Script=Katakana}]/u, 'ja'],
  [/\p{Script=Hangul}/u, 'ko'],
  [/\p{Script=Han}/u, 'zh'],
  [/\p{Script=Thai}/u, 'th'],
  [/\p{Script=Greek}/u, 'el'],
  [/\p{Script=Hebrew}/u, 'he'],
  [/\p{Script=Arabic}/u, 'ar'],
  [/\p{Script=Devanagari}/u, 'hi'],
  [/\p{Script=Bengali}/u, 'bn'],
  [/\p{Script=Cyrillic}/u, 'ru'],
];

/**
 * Function words that make up a large share of any English text and are rare as words in other Latin-script
 * languages. Most prompts are English: recognising them here skips the n-gram scoring, the costliest signal.
 */
const ENGLISH_FUNCTION_WORDS = new Set(
  (
    'the of and to in is that for it with as was on be by this are or from at which an not have has what how ' +
    'you your can will would should could does do why when where who whom whose there their they them these ' +
    'those its if than then been being were into about also more most such only other some any each our we'
  ).split(' '),
);

/** English when the sample is plain ASCII and at least a quarter of at least 6 words are English function words. */
export function looksEnglish(sample: string): boolean {
  let words = 0;
  let functionWords = 0;
  let start = -1;
  for (let i = 0; i <= sample.length; i++) {
    const code = i < sample.length ? sample.charCodeAt(i) : 32;
    // Typographic punctuation (’ “ ” – — … ° ×) separates words; any other non-ASCII character means "ask eld".
    if (
      code > 127 &&
      !(code >= 0x2000 && code <= 0x206f) &&
      !(code >= 0xa0 && code <= 0xbf) &&
      code !== 0xd7
    ) {
      return false;
    }
    const isLetter =
      (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 39 || code === 0x2019;
    if (isLetter) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      words++;
      if (i - start <= 5 && ENGLISH_FUNCTION_WORDS.has(sample.slice(start, i).toLowerCase())) functionWords++;
      start = -1;
    }
  }
  return words >= 6 && functionWords * 4 >= words;
}

/** Scripts written by one language only (among those the detector knows): no n-gram scoring needed. */
const SINGLE_LANGUAGE_SCRIPTS: readonly (readonly [from: number, to: number, code: string])[] = [
  [0x3040, 0x30ff, 'ja'], // hiragana, katakana
  [0xac00, 0xd7af, 'ko'], // hangul syllables
  [0x1100, 0x11ff, 'ko'], // hangul jamo
  [0x4e00, 0x9fff, 'zh'], // han (Japanese text also has kana, which wins below)
  [0x0370, 0x03ff, 'el'],
  [0x0590, 0x05ff, 'he'],
  [0x0980, 0x09ff, 'bn'],
  [0x0900, 0x097f, 'hi'],
  [0x0e00, 0x0e7f, 'th'],
];

const SINGLE_SCRIPT_LANGUAGES = [...new Set(SINGLE_LANGUAGE_SCRIPTS.map(([, , code]) => code))];
/** Index + 1 into SINGLE_SCRIPT_LANGUAGES of each UTF-16 unit in a single-language script (first listed wins). */
const singleScriptLanguageOf = new Uint8Array(0x10000);
for (const [from, to, code] of [...SINGLE_LANGUAGE_SCRIPTS].reverse())
  singleScriptLanguageOf.fill(SINGLE_SCRIPT_LANGUAGES.indexOf(code) + 1, from, to + 1);
const JA = SINGLE_SCRIPT_LANGUAGES.indexOf('ja');
const ZH = SINGLE_SCRIPT_LANGUAGES.indexOf('zh');

/** The language of a text mostly (≥ 60 % of its letters) in a single-language script, else undefined. */
export function singleScriptLanguage(sample: string): string | undefined {
  const counts = new Uint32Array(SINGLE_SCRIPT_LANGUAGES.length);
  let letters = 0;
  for (let i = 0; i < sample.length; i++) {
    const code = sample.charCodeAt(i);
    if (code < 0x80) {
      if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122)) letters++;
      continue;
    }
    const language = singleScriptLanguageOf[code] as number;
    if (language !== 0) {
      letters++;
      counts[language - 1] = (counts[language - 1] as number) + 1;
    } else if (
      code >= 0xc0 &&
      code !== 0xd7 &&
      code !== 0xf7 &&
      !(code >= 0x2000 && code <= 0x2bff) &&
      !(code >= 0x3000 && code <= 0x303f) &&
      !(code >= 0xff00 && code <= 0xffef)
    ) {
      letters++; // another script (Latin with accents, Cyrillic, Arabic, …)
    }
  }
  if (letters === 0) return undefined;
  const ja = counts[JA] as number;
  if (ja > 0 && ja + (counts[ZH] as number) >= letters * 0.6) return 'ja';
  // At most one language can hold 60 % of the letters.
  for (let index = 0; index < counts.length; index++)
    if (index !== JA && (counts[index] as number) >= letters * 0.6) return SINGLE_SCRIPT_LANGUAGES[index];
  return undefined;
}

type Detect = (text: string) => {
  language: string;
  getScores(): Record<string, number>;
  isReliable(): boolean;
  bestScore?(): number;
};

export function createLanguageDetector(detect: Detect) {
  return (input: string): DetectedLanguage | undefined => {
    const text = input.length > MAX_DETECT_CHARS ? input.slice(0, MAX_DETECT_CHARS) : input;
    if (text.trim().length === 0) return undefined;
    if (looksEnglish(text)) return { code: 'en', confidence: FAST_PATH_CONFIDENCE };
    const scriptLanguage = singleScriptLanguage(text);
    if (scriptLanguage) return { code: scriptLanguage, confidence: FAST_PATH_CONFIDENCE };
    const result = detect(text);
    const score = () => result.bestScore?.() ?? result.getScores()[result.language];
    if (result.language && result.isReliable()) {
      return { code: result.language, confidence: score() ?? 0.5 };
    }
    for (const [script, code] of SCRIPT_LANGUAGES) {
      if (script.test(text)) return { code, confidence: 0.6 };
    }
    if (result.language) return { code: result.language, confidence: (score() ?? 0) * 0.5 };
    return undefined;
  };
}

export const languageFamily = defineSignalFamily<LanguageRule>({
  family: 'language',
  conditionType: 'language',
  ruleSchema: languageRuleSchema,
  async create(rules) {
    // Loaded only when a policy references the family; packed, the n-gram table costs ~3 MiB instead of ~80.
    const eld = await (await import('./compact-eld.ts')).loadCompactEld();
    const detectLanguage = createLanguageDetector((text) => eld.detect(text));
    return {
      evaluate(context) {
        // The detector reads only the first MAX_DETECT_CHARS, which the signal-text cap (it keeps the head) leaves
        // as they are; reading them from the capped text would first copy all 64K of its concatenation.
        const detected = detectLanguage(context.lastUserFullText);
        if (!detected) return [];
        const matches: SignalMatch[] = [];
        for (const rule of rules) {
          const codes = rule.languages ?? [rule.name];
          const threshold = rule.threshold || DEFAULT_THRESHOLD;
          if (codes.includes(detected.code) && detected.confidence >= threshold) {
            matches.push({
              name: rule.name,
              confidence: detected.confidence,
              detail: `detected=${detected.code}`,
            });
          }
        }
        return matches;
      },
    };
  },
});
