// Character offsets of tokens in the original text, which @huggingface/tokenizers does not return: each token's
// text is matched against the text normalised code point by code point, whitespace ignored on both sides.

/** `[start, end)` UTF-16 offsets into the original text. */
export type TokenOffset = readonly [number, number];

/** How a tokenizer spells the pieces of a word, read from its tokenizer.json. */
export interface TokenSpelling {
  /** Per-character normaliser (the tokenizer's own), or identity. */
  readonly normalize: (text: string) => string;
  /** Byte-level BPE (GPT-2, RoBERTa): tokens spell UTF-8 bytes as printable characters. */
  readonly byteLevel: boolean;
  /** WordPiece's `##` and the like. */
  readonly continuingSubwordPrefix: string | undefined;
  readonly endOfWordSuffix: string | undefined;
}

/** How far past the expected position a token's text is searched for (further after an unknown token). */
const SEARCH_WINDOW = 32;
const SEARCH_WINDOW_AFTER_UNKNOWN = 512;

let byteChars: string[] | undefined;

/** GPT-2's bytes_to_unicode table: byte → the printable character byte-level tokens spell it with. */
function byteLevelChars(): string[] {
  if (byteChars !== undefined) return byteChars;
  const table: string[] = [];
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    table[b] = String.fromCharCode(printable ? b : next++);
  }
  byteChars = table;
  return table;
}

const encoder = new TextEncoder();

function toByteLevel(text: string): string {
  const table = byteLevelChars();
  let out = '';
  for (const b of encoder.encode(text)) out += table[b];
  return out;
}

function isSpace(ch: string): boolean {
  return /\s/u.test(ch) || ch === '\u2581';
}

/** Characters that stand for whitespace in the spelling's comparison space. */
function skippable(spelling: TokenSpelling): (ch: string) => boolean {
  if (!spelling.byteLevel) return isSpace;
  const table = byteLevelChars();
  const spaces = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20].map((b) => table[b]));
  return (ch) => spaces.has(ch) || ch === '\u2581';
}

/** The text with whitespace removed, as the tokens spell it, and each unit's source range in the original. */
interface Compact {
  readonly text: string;
  readonly starts: readonly number[];
  readonly ends: readonly number[];
}

function compactText(text: string, spelling: TokenSpelling, skip: (ch: string) => boolean): Compact {
  const cache = new Map<string, string>();
  let out = '';
  const starts: number[] = [];
  const ends: number[] = [];
  let index = 0;
  for (const cp of text) {
    let spelled = cache.get(cp);
    if (spelled === undefined) {
      spelled = spelling.normalize(cp);
      if (spelling.byteLevel) spelled = toByteLevel(spelled);
      cache.set(cp, spelled);
    }
    for (const unit of spelled) {
      if (skip(unit)) continue;
      out += unit;
      for (let k = 0; k < unit.length; k++) {
        starts.push(index);
        ends.push(index + cp.length);
      }
    }
    index += cp.length;
  }
  return { text: out, starts, ends };
}

function surfaceOf(token: string, spelling: TokenSpelling, skip: (ch: string) => boolean): string {
  let s = token;
  const prefix = spelling.continuingSubwordPrefix;
  if (prefix && s.startsWith(prefix) && s.length > prefix.length) s = s.slice(prefix.length);
  const suffix = spelling.endOfWordSuffix;
  if (suffix && s.endsWith(suffix)) s = s.slice(0, -suffix.length);
  let out = '';
  for (const ch of s) if (!skip(ch)) out += ch;
  return out;
}

/** First compact index after `from` that follows skipped whitespace (a word boundary), or the end. */
function wordEnd(compact: Compact, from: number): number {
  for (let j = from + 1; j < compact.text.length; j++) {
    if ((compact.starts[j] ?? 0) > (compact.ends[j - 1] ?? 0)) return j;
  }
  return compact.text.length;
}

/**
 * Offsets of `tokens` (as the tokenizer produced them for `text`) in `text`; `undefined` for special tokens
 * (`special[i]`) and for tokens that spell nothing. An unknown token gets the next unmatched word (or its rest).
 */
export function alignTokens(
  text: string,
  tokens: readonly string[],
  special: readonly boolean[],
  unknown: readonly boolean[],
  spelling: TokenSpelling,
): (TokenOffset | undefined)[] {
  const skip = skippable(spelling);
  const compact = compactText(text, spelling, skip);
  const offsets: (TokenOffset | undefined)[] = tokens.map(() => undefined);
  const range = (from: number, to: number): TokenOffset => [
    compact.starts[from] ?? 0,
    compact.ends[to - 1] ?? compact.starts[from] ?? 0,
  ];
  let cursor = 0;
  let pending: number[] = [];
  // Unmatched tokens (unknown ones) take the unmatched words before the next match, one word each.
  const settlePending = (limit: number): void => {
    for (const k of pending) {
      if (cursor >= limit) break;
      const end = Math.min(limit, wordEnd(compact, cursor));
      offsets[k] = range(cursor, end);
      cursor = end;
    }
    pending = [];
  };
  tokens.forEach((token, k) => {
    if (special[k]) return;
    if (unknown[k]) {
      pending.push(k);
      return;
    }
    const surface = surfaceOf(token, spelling, skip);
    if (surface === '') return;
    let at = compact.text.startsWith(surface, cursor) ? cursor : -1;
    if (at < 0) {
      const found = compact.text.indexOf(surface, cursor);
      const window = pending.length > 0 ? SEARCH_WINDOW_AFTER_UNKNOWN : SEARCH_WINDOW;
      if (found >= 0 && found - cursor <= window) at = found;
    }
    if (at < 0) {
      pending.push(k);
      return;
    }
    settlePending(at);
    offsets[k] = range(at, at + surface.length);
    cursor = at + surface.length;
  });
  settlePending(compact.text.length);
  return offsets;
}
