// eld's 'extrasmall' detector with its n-gram table held in typed arrays. eld ships the table as one ~1 MB
// JavaScript object literal: importing it costs ~28 MiB of heap (one small object per n-gram) and ~80 MiB of RSS
// while V8 compiles it. Here the same file is read as text and packed (~3 MiB), and eld's own detection code
// reads it through a proxy, so every score stays eld's.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findPackageFile } from '../package-files.ts';

export interface EldResult {
  readonly language: string;
  getScores(): Record<string, number>;
  isReliable(): boolean;
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

class PackedNgramTable implements NgramTable {
  constructor(
    readonly type: string,
    readonly languages: Readonly<Record<number, string>>,
    private readonly index: ReadonlyMap<string, number>,
    /** Pairs of n-gram i are at [offsets[i], offsets[i + 1]). */
    private readonly offsets: Uint32Array,
    private readonly languageIndexes: Uint8Array,
    private readonly scores: Int32Array,
  ) {}

  get ngramCount(): number {
    return this.index.size;
  }

  scoresOf(ngram: string): Record<number, number> | undefined {
    const i = this.index.get(ngram);
    if (i === undefined) return undefined;
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
  readonly index: Map<string, number>;
  readonly offsets: Uint32Array;
  readonly languageIndexes: Uint8Array;
  readonly scores: Int32Array;
}

function readNgrams(reader: LiteralReader): PackedNgrams {
  const index = new Map<string, number>();
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
    index.set(ngram, index.size);
    offsets.push(scores.length);
    reader.accept(',');
  }
  return {
    index,
    offsets: Uint32Array.from(offsets),
    languageIndexes: Uint8Array.from(languageIndexes),
    scores: Int32Array.from(scores),
  };
}

/** Packs the source text of an eld n-gram module (`export const ngramsData = {type, languages, ngrams, …}`). */
export function parseNgramTable(source: string): NgramTable {
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
  return new PackedNgramTable(
    type,
    languages,
    ngrams.index,
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

interface EldInternals {
  createEld(): { instance: EldDetector; loadData(data: unknown): string };
}

async function packedDetector(): Promise<EldDetector> {
  const dir = eldDirectory();
  const table = parseNgramTable(readFileSync(join(dir, 'src', 'ngrams', 'extrasmall.js'), 'utf8'));
  const { createEld } = (await import(
    pathToFileURL(join(dir, 'src', 'languageDetector.js')).href
  )) as EldInternals;
  const { instance, loadData } = createEld();
  // eld only ever reads `ngrams[ngram]` and iterates the pairs it gets back.
  const ngrams = new Proxy(
    {},
    { get: (_target, key) => (typeof key === 'string' ? table.scoresOf(key) : undefined) },
  );
  if (!loadData({ type: table.type, languages: table.languages, isSubset: false, ngrams }))
    throw new NgramTableError('eld did not accept the packed table');
  return instance;
}

/**
 * eld's 'extrasmall' detector over the packed table; if eld's files ever change shape, eld's own static build
 * (same results, more memory) rather than no language detection.
 */
export async function loadCompactEld(): Promise<EldDetector> {
  try {
    return await packedDetector();
  } catch {
    // Files moved or reshaped by an eld upgrade (test/unit/signals/compact-eld.test.ts then fails too).
    return (await import('eld/extrasmall')).eld;
  }
}
