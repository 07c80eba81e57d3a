// eld's 'extrasmall' detector with its n-gram table held in typed arrays. eld ships the table as one ~1 MB
// JavaScript object literal: importing it costs ~28 MiB of heap (one small object per n-gram) and ~80 MiB of RSS
// while V8 compiles it. Here the same file is read as text and packed (~3 MiB), and eld's detection steps run over
// the packed arrays (eld's own code iterates an object per n-gram: ~3× the CPU); every score stays eld's (tested
// against eld on the lingua test set). The build stores the packed table as an image (ngram-table-image.ts) that a
// start reads instead of parsing the text again.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findPackageFile } from '../package-files.ts';
import { MAX_PACKED_CHARS, PackedKeyIndex, PackedKeySet, packNgram, packUnits } from './ngram-keys.ts';
import { encodeNgramTableImage, readNgramTableImage, sourceDigest } from './ngram-table-image.ts';

export interface EldResult {
  readonly language: string;
  getScores(): Record<string, number>;
  isReliable(): boolean;
  /** `getScores()[language]` without the other languages' scores (eld's own build lacks it). */
  bestScore?(): number;
}

export interface EldDetector {
  detect(text: string): EldResult;
}

/** The n-gram table of one eld database: for each n-gram, (language index, score) pairs. */
export interface NgramTable {
  readonly type: string;
  readonly languages: Readonly<Record<number, string>>;
  readonly ngramCount: number;
  /** The pairs of one n-gram as eld stores them (`{languageIndex: score}`), or undefined. */
  scoresOf(ngram: string): Record<number, number> | undefined;
  /** Adds `score + bonus` of each of the n-gram's pairs to its language's total; false when the n-gram is unknown. */
  addScores(ngram: string, totals: Float64Array, bonus: number): boolean;
  /** addScores for an n-gram packed by ngram-keys.ts. */
  addPackedScores(key: number, totals: Float64Array, bonus: number): boolean;
}

class NgramTableError extends Error {}

/** [A-Za-z0-9_$.-]: identifiers and numbers. */
function isWordChar(code: number): boolean {
  return (
    (code >= 48 && code <= 57) ||
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    code === 95 ||
    code === 36 ||
    code === 46 ||
    code === 45
  );
}

/** A reader of the subset of JavaScript literal syntax eld's n-gram files use. */
class LiteralReader {
  private position: number;

  constructor(
    private readonly source: string,
    start: number,
  ) {
    this.position = start;
  }

  expect(char: string): void {
    this.skipSpace();
    if (this.source[this.position] !== char)
      throw new NgramTableError(`expected '${char}' at offset ${this.position}`);
    this.position++;
  }

  /** Consumes `char` if it comes next. */
  accept(char: string): boolean {
    this.skipSpace();
    if (this.source[this.position] !== char) return false;
    this.position++;
    return true;
  }

  /** An object key: a quoted string, an identifier or an integer. */
  key(): string {
    this.skipSpace();
    const quote = this.source[this.position];
    if (quote === "'" || quote === '"') return this.quoted(quote);
    const start = this.position;
    while (isWordChar(this.source.charCodeAt(this.position))) this.position++;
    if (start === this.position) throw new NgramTableError(`expected a key at offset ${start}`);
    return this.source.slice(start, this.position);
  }

  /** A scalar value: a quoted string, a number or a boolean. */
  scalar(): string | number | boolean {
    this.skipSpace();
    const quote = this.source[this.position];
    if (quote === "'" || quote === '"') return this.quoted(quote);
    const word = this.key();
    if (word === 'true' || word === 'false') return word === 'true';
    const number = Number(word);
    if (!Number.isFinite(number)) throw new NgramTableError(`unexpected value '${word}'`);
    return number;
  }

  /** An optionally negative integer, read without slicing (the table holds ~80,000 of them). */
  integer(): number {
    this.skipSpace();
    const negative = this.source.charCodeAt(this.position) === 45;
    if (negative) this.position++;
    const start = this.position;
    let value = 0;
    for (let code = this.source.charCodeAt(this.position); code >= 48 && code <= 57; ) {
      value = value * 10 + (code - 48);
      code = this.source.charCodeAt(++this.position);
    }
    if (start === this.position) throw new NgramTableError(`expected an integer at offset ${start}`);
    return negative ? -value : value;
  }

  private quoted(quote: string): string {
    const quoteCode = quote.charCodeAt(0);
    this.position++;
    let text = '';
    let chunkStart = this.position;
    for (;;) {
      const code = this.source.charCodeAt(this.position);
      if (Number.isNaN(code)) throw new NgramTableError('unterminated string');
      if (code === quoteCode) break;
      if (code === 92) {
        const escaped = this.source[this.position + 1];
        if (escaped !== "'" && escaped !== '"' && escaped !== '\\')
          throw new NgramTableError(`unsupported escape at offset ${this.position}`);
        text += this.source.slice(chunkStart, this.position) + escaped;
        this.position += 2;
        chunkStart = this.position;
        continue;
      }
      this.position++;
    }
    text += this.source.slice(chunkStart, this.position);
    this.position++;
    return text;
  }

  private skipSpace(): void {
    for (;;) {
      const code = this.source.charCodeAt(this.position);
      if (code !== 32 && code !== 10 && code !== 13 && code !== 9 && code !== 0xfeff) return;
      this.position++;
    }
  }
}

/** Everything a PackedNgramTable holds, as typed arrays and plain data: what its stored image is made of. */
export interface NgramTableParts {
  readonly type: string;
  readonly languages: Readonly<Record<number, string>>;
  readonly ngramCount: number;
  /** Slots of the index of the n-grams that pack into a number (PackedKeyIndex.parts). */
  readonly packedKeys: Float64Array;
  readonly packedValues: Int32Array;
  /** The other n-grams (longer, or with a character ≥ 256) and their numbers. */
  readonly other: readonly (readonly [ngram: string, index: number])[];
  readonly offsets: Uint32Array;
  readonly languageIndexes: Uint8Array;
  readonly scores: Int32Array;
}

export class PackedNgramTable implements NgramTable {
  private constructor(
    readonly type: string,
    readonly languages: Readonly<Record<number, string>>,
    readonly ngramCount: number,
    /** N-grams that pack into a number (all of eld's) → n-gram number. */
    private readonly packed: PackedKeyIndex,
    /** Any other n-gram (longer, or with a character ≥ 256) → n-gram number. */
    private readonly other: ReadonlyMap<string, number>,
    /** Pairs of n-gram i are at [offsets[i], offsets[i + 1]). */
    private readonly offsets: Uint32Array,
    private readonly languageIndexes: Uint8Array,
    private readonly scores: Int32Array,
  ) {}

  static fromNgrams(
    type: string,
    languages: Readonly<Record<number, string>>,
    ngrams: readonly string[],
    offsets: Uint32Array,
    languageIndexes: Uint8Array,
    scores: Int32Array,
  ): PackedNgramTable {
    const entries: [number, number][] = [];
    const other = new Map<string, number>();
    ngrams.forEach((ngram, i) => {
      const key = packNgram(ngram);
      if (key === undefined) other.set(ngram, i);
      else entries.push([key, i]);
    });
    const packed = new PackedKeyIndex(entries);
    return new PackedNgramTable(
      type,
      languages,
      ngrams.length,
      packed,
      other,
      offsets,
      languageIndexes,
      scores,
    );
  }

  /** The table of a stored image; undefined when the parts do not fit together. */
  static fromParts(parts: NgramTableParts): PackedNgramTable | undefined {
    const packed = PackedKeyIndex.fromParts(parts.packedKeys, parts.packedValues);
    const pairs = parts.scores.length;
    if (
      !packed ||
      parts.offsets.length !== parts.ngramCount + 1 ||
      parts.offsets[parts.ngramCount] !== pairs ||
      parts.languageIndexes.length !== pairs
    )
      return undefined;
    return new PackedNgramTable(
      parts.type,
      parts.languages,
      parts.ngramCount,
      packed,
      new Map(parts.other),
      parts.offsets,
      parts.languageIndexes,
      parts.scores,
    );
  }

  parts(): NgramTableParts {
    const { keys, values } = this.packed.parts();
    return {
      type: this.type,
      languages: this.languages,
      ngramCount: this.ngramCount,
      packedKeys: keys,
      packedValues: values,
      other: [...this.other],
      offsets: this.offsets,
      languageIndexes: this.languageIndexes,
      scores: this.scores,
    };
  }

  private numberOf(ngram: string): number {
    const key = packNgram(ngram);
    return key === undefined ? (this.other.get(ngram) ?? -1) : this.packed.get(key);
  }

  addScores(ngram: string, totals: Float64Array, bonus: number): boolean {
    return this.addScoresOf(this.numberOf(ngram), totals, bonus);
  }

  /** addScores for an n-gram packed by packNgram / packUnits. */
  addPackedScores(key: number, totals: Float64Array, bonus: number): boolean {
    return this.addScoresOf(this.packed.get(key), totals, bonus);
  }

  private addScoresOf(i: number, totals: Float64Array, bonus: number): boolean {
    if (i < 0) return false;
    const end = this.offsets[i + 1] as number;
    for (let p = this.offsets[i] as number; p < end; p++) {
      const language = this.languageIndexes[p] as number;
      totals[language] = (totals[language] as number) + (this.scores[p] as number) + bonus;
    }
    return true;
  }

  scoresOf(ngram: string): Record<number, number> | undefined {
    const i = this.numberOf(ngram);
    if (i < 0) return undefined;
    const pairs: Record<number, number> = {};
    for (let p = this.offsets[i] as number; p < (this.offsets[i + 1] as number); p++)
      pairs[this.languageIndexes[p] as number] = this.scores[p] as number;
    return pairs;
  }
}

function readLanguages(reader: LiteralReader): Record<number, string> {
  const languages: Record<number, string> = {};
  reader.expect('{');
  while (!reader.accept('}')) {
    const index = Number(reader.key());
    reader.expect(':');
    const code = reader.scalar();
    if (!Number.isInteger(index) || typeof code !== 'string')
      throw new NgramTableError('languages must map indexes to codes');
    languages[index] = code;
    reader.accept(',');
  }
  return languages;
}

interface PackedNgrams {
  readonly ngrams: string[];
  readonly offsets: Uint32Array;
  readonly languageIndexes: Uint8Array;
  readonly scores: Int32Array;
}

function readNgrams(reader: LiteralReader): PackedNgrams {
  const ngrams: string[] = [];
  const offsets: number[] = [0];
  const languageIndexes: number[] = [];
  const scores: number[] = [];
  reader.expect('{');
  while (!reader.accept('}')) {
    const key = reader.key();
    // V8 shares the source's memory for slices of 13 characters or more: copy those, or the text stays alive.
    const ngram = key.length >= 13 ? key.split('').join('') : key;
    reader.expect(':');
    reader.expect('{');
    while (!reader.accept('}')) {
      const language = reader.integer();
      reader.expect(':');
      const score = reader.integer();
      if (language < 0 || language > 255)
        throw new NgramTableError(`bad language index of n-gram ${JSON.stringify(ngram)}`);
      languageIndexes.push(language);
      scores.push(score);
      reader.accept(',');
    }
    ngrams.push(ngram);
    offsets.push(scores.length);
    reader.accept(',');
  }
  return {
    ngrams,
    offsets: Uint32Array.from(offsets),
    languageIndexes: Uint8Array.from(languageIndexes),
    scores: Int32Array.from(scores),
  };
}

/** Packs the source text of an eld n-gram module (`export const ngramsData = {type, languages, ngrams, …}`). */
export function parseNgramTable(source: string): PackedNgramTable {
  const marker = 'ngramsData';
  const start = source.indexOf('=', source.indexOf(marker));
  if (source.indexOf(marker) < 0 || start < 0) throw new NgramTableError(`no ${marker} object`);
  const reader = new LiteralReader(source, start + 1);
  let type: string | undefined;
  let languages: Record<number, string> | undefined;
  let ngrams: PackedNgrams | undefined;
  reader.expect('{');
  while (!reader.accept('}')) {
    const key = reader.key();
    reader.expect(':');
    if (key === 'languages') languages = readLanguages(reader);
    else if (key === 'ngrams') ngrams = readNgrams(reader);
    else {
      const value = reader.scalar();
      if (key === 'type' && typeof value === 'string') type = value;
    }
    reader.accept(',');
  }
  if (!type || !languages || !ngrams) throw new NgramTableError('type, languages or ngrams missing');
  return PackedNgramTable.fromNgrams(
    type,
    languages,
    ngrams.ngrams,
    ngrams.offsets,
    ngrams.languageIndexes,
    ngrams.scores,
  );
}

/** eld's package directory (found by path: its `exports` hide package.json and these internals). */
function eldDirectory(): string {
  const detector = findPackageFile(join('node_modules', 'eld', 'src', 'languageDetector.js'), '');
  if (!detector) throw new NgramTableError('package eld not found');
  return dirname(dirname(detector));
}

interface EldData {
  readonly separators: RegExp;
  /** Byte → the code of the character eld writes for it (its n-gram keys are byte strings). */
  readonly dictionary: Uint8Array;
  /** Average score of a correct detection per language (eld's reliability check). */
  readonly avgScore: Readonly<Record<string, number>>;
}

async function eldData(dir: string): Promise<EldData> {
  const load = async (file: string) =>
    (await import(pathToFileURL(join(dir, 'src', file)).href)) as Record<string, unknown>;
  const { separators } = await load('regexPatterns.js');
  const { dictionary } = await load('dictionary.js');
  const { avgScore } = await load('avgScore.js');
  if (
    !(separators instanceof RegExp) ||
    !Array.isArray(dictionary) ||
    dictionary.length !== 256 ||
    !dictionary.every((char) => typeof char === 'string' && char.length === 1 && char.charCodeAt(0) < 256) ||
    typeof avgScore !== 'object' ||
    !avgScore
  )
    throw new NgramTableError("eld's data modules changed shape");
  return {
    separators,
    dictionary: Uint8Array.from(dictionary as string[], (char) => char.charCodeAt(0)),
    avgScore: avgScore as Record<string, number>,
  };
}

// eld's detection steps (languageDetector.js, LanguageResult.js of eld 2.x), over the packed table: same text
// processing, same n-grams, same integer totals, same ordering, scaling and reliability test.
const MAX_TEXT_CHARS = 1000;
const CUT_AFTER_BYTES = 350;
const ENFORCE_CUT_AFTER_BYTES = 380;
const MAX_WORD_BYTES = 70;
const BASE_NGRAM_SCORE = 53;
const SCORE_SCALE = 25;
const RELIABLE_RATIO = 0.75;

/** Characters of one word kept: a word cannot outgrow the bytes read (ENFORCE_CUT_AFTER_BYTES + 4). */
const MAX_WORD_UNITS = 512;
/** Each word of L bytes gives at most L n-grams, so the bytes read bound the distinct n-grams. */
const MAX_DISTINCT_NGRAMS = 512;

/**
 * The distinct n-grams of a text as eld builds them: the text's words as "byte" strings (UTF-8 bytes of non-ASCII
 * characters through eld's dictionary), cut after CUT_AFTER_BYTES at a word's end or ENFORCE_CUT_AFTER_BYTES
 * anywhere; each word's 4-byte n-grams at a stride of 3, the first marked by a leading and the last by a trailing
 * space. Packed (ngram-keys.ts) instead of built as strings; buffers reused (detection is synchronous).
 */
class NgramCollector {
  private readonly units = new Uint8Array(MAX_WORD_UNITS);
  readonly packed = new PackedKeySet(MAX_DISTINCT_NGRAMS);
  /** N-grams too long to pack (the tail of a word over MAX_WORD_BYTES: eld keeps it whole). */
  long: Set<string> | undefined;

  /** @param dictionary byte → the character code eld writes for it. */
  constructor(private readonly dictionary: Uint8Array) {}

  get count(): number {
    return this.packed.size + (this.long?.size ?? 0);
  }

  collect(text: string): void {
    this.packed.clear();
    this.long = undefined;
    const units = this.units;
    const d = this.dictionary;
    let length = 0;
    let bytes = 0;
    for (let i = 0; i < text.length; i++) {
      let code = text.charCodeAt(i);
      if (code < 0x80) {
        if (code === 32) {
          if (length > 0) this.word(length);
          length = 0;
          if (bytes > CUT_AFTER_BYTES) break;
        } else {
          units[length++] = code;
        }
        bytes++;
      } else if (code < 0x800) {
        units[length++] = d[0xc0 | (code >> 6)] as number;
        units[length++] = d[0x80 | (code & 0x3f)] as number;
        bytes += 2;
      } else if (code < 0xd800 || code >= 0xe000) {
        units[length++] = d[0xe0 | (code >> 12)] as number;
        units[length++] = d[0x80 | ((code >> 6) & 0x3f)] as number;
        units[length++] = d[0x80 | (code & 0x3f)] as number;
        bytes += 3;
      } else {
        i++;
        code = 0x10000 + (((code & 0x3ff) << 10) | (text.charCodeAt(i) & 0x3ff));
        units[length++] = d[0xf0 | (code >> 18)] as number;
        units[length++] = d[0x80 | ((code >> 12) & 0x3f)] as number;
        units[length++] = d[0x80 | ((code >> 6) & 0x3f)] as number;
        units[length++] = d[0x80 | (code & 0x3f)] as number;
        bytes += 4;
      }
      if (bytes > ENFORCE_CUT_AFTER_BYTES) break;
    }
    if (length > 0) this.word(length);
  }

  private word(length: number): void {
    const kept = Math.min(length, MAX_WORD_BYTES);
    let j = 0;
    for (; j + 4 < kept; j += 3) this.packed.add(packUnits(this.units, j, j + 4, j === 0, false));
    // The last n-gram runs to the end of the whole word, as eld's substring does.
    const from = Math.max(0, kept - 4);
    const lead = j === 0;
    if ((lead ? 1 : 0) + (length - from) + 1 <= MAX_PACKED_CHARS) {
      this.packed.add(packUnits(this.units, from, length, lead, true));
    } else {
      const tail = String.fromCharCode(...this.units.subarray(from, length));
      this.long ??= new Set();
      this.long.add(`${lead ? ' ' : ''}${tail} `);
    }
  }
}

class PackedResult implements EldResult {
  #ordered: [language: number, score: number][] | undefined;

  constructor(
    readonly language: string,
    private readonly best: number,
    private readonly totals: Float64Array,
    private readonly ngramCount: number,
    private readonly codes: Readonly<Record<number, string>>,
    private readonly avgScore: Readonly<Record<string, number>>,
  ) {}

  /** A positive total scaled to 0–1. */
  private scaled(total: number): number {
    const perNgram = total / this.ngramCount;
    return perNgram / (perNgram + SCORE_SCALE);
  }

  /** Languages with a positive total, scaled to 0–1 and best first (ties in language order). */
  private ordered(): [number, number][] {
    if (!this.#ordered) {
      const ordered: [number, number][] = [];
      this.totals.forEach((total, language) => {
        if (total > 0) ordered.push([language, this.scaled(total)]);
      });
      this.#ordered = ordered.sort((a, b) => b[1] - a[1]);
    }
    return this.#ordered;
  }

  getScores(): Record<string, number> {
    const scores: Record<string, number> = {};
    for (const [language, score] of this.ordered()) scores[this.codes[language] as string] = score;
    return scores;
  }

  /** The best language's score, as getScores() gives it, without building the rest. */
  bestScore(): number {
    return this.scaled(this.totals[this.best] as number);
  }

  isReliable(): boolean {
    if (this.ngramCount < 3) return false;
    const best = this.scaled(this.totals[this.best] as number);
    // As eld compares: the runner-up's language index (0 without one), not its score. The runner-up is the first
    // language in order with the highest total after the best's (a stable sort puts ties in language order).
    let next = 0;
    let nextTotal = 0;
    for (let language = 0; language < this.totals.length; language++) {
      const total = this.totals[language] as number;
      if (language !== this.best && total > 0 && total > nextTotal) {
        nextTotal = total;
        next = language;
      }
    }
    return !(
      (this.avgScore[this.language] as number) * RELIABLE_RATIO > best || 0.01 > Math.abs(best - next)
    );
  }
}

const NO_RESULT: EldResult = { language: '', getScores: () => ({}), isReliable: () => false };

class PackedEld implements EldDetector {
  private readonly languageCount: number;
  private readonly ngrams: NgramCollector;

  constructor(
    private readonly table: NgramTable,
    private readonly data: EldData,
  ) {
    this.languageCount = Object.keys(table.languages).length;
    this.ngrams = new NgramCollector(data.dictionary);
  }

  detect(input: string): EldResult {
    if (typeof input !== 'string') return NO_RESULT;
    const text = input.substring(0, MAX_TEXT_CHARS).replace(this.data.separators, ' ').trim().toLowerCase();
    const ngrams = this.ngrams;
    ngrams.collect(text);
    const totals = new Float64Array(this.languageCount);
    const { packed } = ngrams;
    for (let k = 0; k < packed.size; k++)
      this.table.addPackedScores(packed.added[k] as number, totals, BASE_NGRAM_SCORE);
    if (ngrams.long) for (const ngram of ngrams.long) this.table.addScores(ngram, totals, BASE_NGRAM_SCORE);
    let best = -1;
    let bestTotal = 0;
    for (let language = 0; language < totals.length; language++) {
      const total = totals[language] as number;
      if (total > 0 && total > bestTotal) {
        bestTotal = total;
        best = language;
      }
    }
    if (best < 0) return NO_RESULT;
    const codes = this.table.languages;
    return new PackedResult(codes[best] as string, best, totals, ngrams.count, codes, this.data.avgScore);
  }
}

/** Where `npm run build` puts the table's image: dist/ (this module is dist/src/signals/compact-eld.js). */
export const NGRAM_IMAGE_FILE = fileURLToPath(new URL('../../eld-ngrams.bin', import.meta.url));

/** The source of eld's 'extrasmall' n-gram module (what an image is made from and checked against). */
export function readEldNgramSource(dir = eldDirectory()): Buffer {
  return readFileSync(join(dir, 'src', 'ngrams', 'extrasmall.js'));
}

async function packedDetector(imageFile: string): Promise<EldDetector> {
  const dir = eldDirectory();
  const source = readEldNgramSource(dir);
  const table =
    readNgramTableImage(imageFile, source, PackedNgramTable.fromParts) ??
    parseNgramTable(source.toString('utf8'));
  return new PackedEld(table, await eldData(dir));
}

/** Writes the image of eld's installed n-gram table to `file` (the build's step); returns its size in bytes. */
export function writeNgramTableImage(file: string): number {
  const source = readEldNgramSource();
  const image = encodeNgramTableImage(parseNgramTable(source.toString('utf8')).parts(), sourceDigest(source));
  writeFileSync(file, image);
  return image.length;
}

/**
 * eld's 'extrasmall' detector over the packed table; if eld's files ever change shape, eld's own static build
 * (same results, more memory) rather than no language detection.
 */
export async function loadCompactEld(imageFile = NGRAM_IMAGE_FILE): Promise<EldDetector> {
  try {
    return await packedDetector(imageFile);
  } catch {
    // Files moved or reshaped by an eld upgrade (test/unit/signals/compact-eld.test.ts then fails too).
    return (await import('eld/extrasmall')).eld;
  }
}
