// Hashed per-token cues (word, shape, affixes, neighbours within ±2, a bag of nearby words) for the token tagger.
import { hashString } from '../wide-mlp/features.ts';
import { isWordToken, type Token } from './tokens.ts';

/** Settings stored in the exported tagger's metadata, so inference builds exactly the training features. */
export interface TaggerFeaturizerConfig {
  /** Hash buckets (rows of the embedding table). */
  readonly buckets: number;
  /** At most this many distinct features per token (the first ones in the fixed order below). */
  readonly maxFeatures: number;
  /** Only the first `maxChars` UTF-16 code units of a text are tagged. */
  readonly maxChars: number;
  /** At most this many tokens of a text are tagged. */
  readonly maxTokens: number;
  /** Half-width of the bag of nearby lower-cased words. */
  readonly contextWindow: number;
}

export const DEFAULT_TAGGER_FEATURIZER: TaggerFeaturizerConfig = {
  buckets: 1 << 15,
  maxFeatures: 64,
  maxChars: 2048,
  maxTokens: 512,
  contextWindow: 4,
};

/** Checks a configuration read from model metadata. */
export function validateTaggerFeaturizer(raw: unknown): TaggerFeaturizerConfig {
  if (typeof raw !== 'object' || raw === null) throw new Error('tagger featurizer: not an object');
  const c = raw as Record<string, unknown>;
  const int = (name: string, min: number, max: number): number => {
    const v = c[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new Error(`tagger featurizer ${name} must be an integer in [${min}, ${max}], got ${String(v)}`);
    }
    return v;
  };
  return {
    buckets: int('buckets', 1, 2 ** 31 - 1),
    maxFeatures: int('maxFeatures', 1, 4096),
    maxChars: int('maxChars', 1, 1 << 20),
    maxTokens: int('maxTokens', 1, 1 << 16),
    contextWindow: int('contextWindow', 0, 16),
  };
}

/** Words that often introduce a person's name (the token after them is the cue's target). */
const NAME_CUES = new Set([
  'mr',
  'mrs',
  'ms',
  'miss',
  'dr',
  'prof',
  'sir',
  'madam',
  'dear',
  'hi',
  'hello',
  'hey',
  'thanks',
  'by',
  'named',
  'called',
  'am',
  "i'm",
  'is',
  'with',
  'from',
  'to',
  'ask',
  'tell',
  'contact',
  'cc',
  'signed',
  'regards',
  'user',
]);

/** Street-type words and abbreviations (English and some European ones seen in addresses). */
const STREET_WORDS = new Set([
  'street',
  'st',
  'avenue',
  'ave',
  'road',
  'rd',
  'boulevard',
  'blvd',
  'lane',
  'ln',
  'drive',
  'dr',
  'way',
  'court',
  'ct',
  'place',
  'pl',
  'terrace',
  'ter',
  'crescent',
  'highway',
  'hwy',
  'parkway',
  'pkwy',
  'square',
  'sq',
  'circle',
  'trail',
  'apt',
  'apartment',
  'suite',
  'unit',
  'floor',
  'box',
  'po',
  'rue',
  'rua',
  'via',
  'calle',
  'strasse',
  'straße',
  'str',
  'weg',
  'gasse',
  'platz',
  'vej',
  'katu',
  'tie',
  'gatan',
  'gata',
  'ulica',
  'ul',
  'avenida',
  'av',
]);

/** Words that often introduce an address. */
const ADDRESS_CUES = new Set([
  'address',
  'at',
  'lives',
  'live',
  'located',
  'ship',
  'send',
  'deliver',
  'moved',
  'visit',
]);

const SENTENCE_END = new Set(['.', '!', '?', ':', ';', '"', '“', '”', '(', ')', '[', ']']);

/** Shape class of one character: X upper, x lower (or caseless letter), d digit, else the character. */
function shapeClass(ch: string): string {
  const code = ch.charCodeAt(0);
  if (code >= 65 && code <= 90) return 'X';
  if (code >= 97 && code <= 122) return 'x';
  if (code >= 48 && code <= 57) return 'd';
  if (code < 128) return ch;
  return /\p{Lu}/u.test(ch) ? 'X' : /\p{Ll}|\p{Lo}/u.test(ch) ? 'x' : /\p{N}/u.test(ch) ? 'd' : ch;
}

/** `Koskikatu` → `Xxxx`, `64677` → `dddd`: character classes with runs capped at 4. */
function longShape(word: string): string {
  let out = '';
  let last = '';
  let run = 0;
  for (const ch of word) {
    const c = shapeClass(ch);
    run = c === last ? run + 1 : 1;
    last = c;
    if (run <= 4) out += c;
  }
  return out;
}

/** `Koskikatu` → `Xx`: character classes with runs collapsed. */
function shortShape(long: string): string {
  let out = '';
  for (const ch of long) if (!out.endsWith(ch)) out += ch;
  return out;
}

/** What the cues of a token read from it; computed once per text. */
export interface TokenView {
  readonly lower: string;
  readonly long: string;
  readonly short: string;
  readonly word: boolean;
  readonly digit: boolean;
  /** The token starts a sentence or a line. */
  readonly start: boolean;
  readonly newline: boolean;
  readonly capital: boolean;
  readonly street: boolean;
}

export function tokenViews(text: string, tokens: readonly Token[]): TokenView[] {
  return tokens.map((token, i) => {
    const previous = tokens[i - 1];
    const gap = text.slice(previous?.end ?? 0, token.start);
    const newline = gap.includes('\n');
    const long = longShape(token.text);
    const lower = token.text.normalize('NFKC').toLowerCase();
    return {
      lower,
      long,
      short: shortShape(long),
      word: isWordToken(token),
      digit: /\p{N}/u.test(token.text),
      start: previous === undefined || newline || SENTENCE_END.has(previous.text),
      newline,
      capital: /^\p{Lu}/u.test(token.text),
      street: STREET_WORDS.has(lower),
    };
  });
}

/**
 * Feature ids of every token of `text` (distinct per token, in a fixed order, at most `maxFeatures`). Every
 * token has at least its bias feature.
 */
export function tokenFeatures(
  text: string,
  tokens: readonly Token[],
  config: TaggerFeaturizerConfig,
  /** Training augmentation: leave out the cues of the token's own spelling, so context and shape must do. */
  delexicalize = false,
): Int32Array[] {
  return rangeFeatures(tokenViews(text, tokens), config, 0, tokens.length, delexicalize);
}

/** Feature ids of tokens `from` ≤ i < `to` (so long texts can be featurized in slices between event-loop turns). */
export function rangeFeatures(
  v: readonly TokenView[],
  config: TaggerFeaturizerConfig,
  from: number,
  to: number,
  delexicalize = false,
): Int32Array[] {
  const word = (i: number): string => v[i]?.lower ?? (i < 0 ? '<s>' : '</s>');
  const shape = (i: number): string => v[i]?.short ?? (i < 0 ? '<s>' : '</s>');
  return v.slice(from, Math.min(to, v.length)).map((t, offset) => {
    const i = from + offset;
    const cues: string[] = ['bias', `S=${t.long}`, `s=${t.short}`];
    const own = !delexicalize || !t.word;
    if (own) cues.push(`w=${t.lower}`);
    if (t.word && own) {
      cues.push(`p=${t.lower.slice(0, 3)}`, `x=${t.lower.slice(-3)}`, `x2=${t.lower.slice(-2)}`);
      cues.push(`len=${Math.min(t.lower.length, 12)}`);
    }
    if (t.start) cues.push(`bos=${t.short}`);
    // Orthographic and lexicon cues that carry over to names and streets never seen in training.
    const prev = v[i - 1];
    const next = v[i + 1];
    if (t.capital) cues.push(t.start ? 'cap-start' : 'cap-mid');
    if (t.capital && (prev?.capital || next?.capital)) cues.push('cap-run');
    if (t.capital && prev !== undefined && NAME_CUES.has(prev.lower)) cues.push('cap-after-name-cue');
    if (prev !== undefined && NAME_CUES.has(prev.lower)) cues.push(`name-cue=${prev.lower}`);
    if (t.street) cues.push('street-word');
    for (let k = i + 1; k <= i + 3 && k < v.length; k++) if (v[k]?.street) cues.push('street-word-after');
    for (let k = Math.max(0, i - 3); k < i; k++) if (v[k]?.street) cues.push('street-word-before');
    for (let k = Math.max(0, i - 3); k < i; k++)
      if (ADDRESS_CUES.has(v[k]?.lower ?? '')) cues.push('address-cue-before');
    if (t.newline) cues.push('nl');
    for (const o of [-1, 1, -2, 2]) cues.push(`w${o}=${word(i + o)}`, `s${o}=${shape(i + o)}`);
    if (own) cues.push(`b-=${word(i - 1)}|${t.lower}`, `b+=${t.lower}|${word(i + 1)}`);
    cues.push(`ww-=${word(i - 2)}|${word(i - 1)}`, `ww+=${word(i + 1)}|${word(i + 2)}`);
    cues.push(`ss=${shape(i - 1)}|${t.short}|${shape(i + 1)}`);
    cues.push(
      `ss-=${shape(i - 2)}|${shape(i - 1)}|${t.short}`,
      `ss+=${t.short}|${shape(i + 1)}|${shape(i + 2)}`,
    );
    for (let k = Math.max(0, i - 3); k < i; k++) if (v[k]?.digit) cues.push('digit-before');
    for (let k = i + 1; k <= i + 3 && k < v.length; k++) if (v[k]?.digit) cues.push('digit-after');
    const w = config.contextWindow;
    for (let k = Math.max(0, i - w); k <= i + w && k < v.length; k++) {
      if (k !== i && v[k]?.word) cues.push(`${k < i ? 'c-' : 'c+'}=${v[k]?.lower}`);
    }
    if (t.word && own) {
      const marked = `<${t.lower}>`;
      for (let k = 0; k + 3 <= marked.length; k++) cues.push(`g=${marked.slice(k, k + 3)}`);
    }
    return hashCues(cues, config);
  });
}

function hashCues(cues: readonly string[], config: TaggerFeaturizerConfig): Int32Array {
  const seen = new Set<number>();
  const out: number[] = [];
  for (const cue of cues) {
    const id = hashString(cue) % config.buckets;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(id);
    if (out.length >= config.maxFeatures) break;
  }
  return Int32Array.from(out);
}
