// IBAN_CODE: country code + check digits + BBAN of the country's length (spaces allowed), verified by mod 97.
import type { DetectorReach, PiiSpan } from './types.ts';

/** IBAN lengths (whole code, without spaces) of the SWIFT registry's countries. */
// biome-ignore format: a compact table reads better
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22,
  CY: 28, CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22,
  GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30,
  KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31,
  MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24, SC: 31, SE: 24,
  SI: 19, SK: 24, SM: 27, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
};

const MAX_LENGTH = Math.max(...Object.values(IBAN_LENGTHS));

/** The longest code with a space between every two characters, and the character after it. */
export const IBAN_REACH: DetectorReach = { before: 1, ahead: 2 * MAX_LENGTH };

/** Country code (two upper-case letters as `(first - A) * 26 + (second - A)`) → IBAN length, 0 if unknown. */
const LENGTH_BY_COUNTRY = new Uint8Array(26 * 26);
for (const [country, length] of Object.entries(IBAN_LENGTHS))
  LENGTH_BY_COUNTRY[(country.charCodeAt(0) - 65) * 26 + (country.charCodeAt(1) - 65)] = length;

const START = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}/g;
const NON_ALNUM = /[^A-Za-z0-9]/g;

function isAlnum(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** IBAN length of the country whose code starts the token at `at` (two letters, two digits), or 0. */
function candidateLength(text: string, at: number): number {
  const a = text.charCodeAt(at);
  const b = text.charCodeAt(at + 1);
  if (!isLetter(a) || !isLetter(b) || !isDigit(text.charCodeAt(at + 2)) || !isDigit(text.charCodeAt(at + 3)))
    return 0;
  return LENGTH_BY_COUNTRY[((a | 0x20) - 97) * 26 + ((b | 0x20) - 97)] as number;
}

/** One step of ISO 7064 mod 97 over an alphanumeric (letters as 10–35, either case). */
function mod97Step(remainder: number, code: number): number {
  if (code <= 57) return (remainder * 10 + (code - 48)) % 97;
  return (remainder * 100 + ((code | 0x20) - 87)) % 97;
}

/** ISO 13616 check of the code in `text[start, end)` (spaces skipped): BBAN first, then its first four characters. */
function checksumValid(text: string, start: number, end: number): boolean {
  let remainder = 0;
  for (let i = start + 4; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code !== 32) remainder = mod97Step(remainder, code);
  }
  for (let i = start; i < start + 4; i++) remainder = mod97Step(remainder, text.charCodeAt(i));
  return remainder === 1;
}

/** Both cases among the letters of `text[start, end)`. */
function mixedCase(text: string, start: number, end: number): boolean {
  let lower = false;
  let upper = false;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code >= 97 && code <= 122) lower = true;
    else if (code >= 65 && code <= 90) upper = true;
  }
  return lower && upper;
}

/**
 * Candidates of one run, oldest first, in a ring: start offset, alphanumerics read before it, IBAN length, and
 * OPEN until its last character is read, then its end offset or REJECTED. A candidate spans at most MAX_LENGTH
 * alphanumerics and starts a token of at least four, so no more than 9 are queued at once.
 */
const QUEUE = 16;
const OPEN = -2;
const REJECTED = -1;
const queuedStart = new Int32Array(QUEUE);
const queuedFrom = new Int32Array(QUEUE);
const queuedLength = new Int32Array(QUEUE);
const queuedEnd = new Int32Array(QUEUE);

/**
 * Reads the run of tokens (alphanumerics joined by single spaces) from the candidate at `first` while candidates
 * are open, and returns where the start search resumes. Like the start pattern, every token that begins with a
 * known country code and two digits is a candidate; it is laid out as an IBAN when its country's number of
 * alphanumerics ends with a token, and only then is its checksum computed. A reported IBAN hides the candidates
 * that start inside it. Each character is read once however many candidates share it (`GB12 GB12 …`).
 */
function scanRun(text: string, first: number, spans: PiiSpan[]): number {
  let head = 0;
  let tail = 0;
  let reportedEnd = first;
  let count = 0;
  let i = first;
  for (;;) {
    const length = candidateLength(text, i);
    if (length > 0) {
      const q = tail++ & (QUEUE - 1);
      queuedStart[q] = i;
      queuedFrom[q] = count;
      queuedLength[q] = length;
      queuedEnd[q] = OPEN;
    }
    if (head === tail) return i;
    let last = 0;
    for (let k = head; k < tail; k++) {
      const q = k & (QUEUE - 1);
      if (queuedEnd[q] === OPEN)
        last = Math.max(last, (queuedFrom[q] as number) + (queuedLength[q] as number));
    }
    // Read the token; once it runs past the last open candidate's end, every open candidate ends inside it.
    const limit = Math.min(text.length, i + (last - count));
    const tokenStart = i;
    while (i < limit && isAlnum(text.charCodeAt(i))) i++;
    count += i - tokenStart;
    const overrun = i < text.length && isAlnum(text.charCodeAt(i));
    if (overrun) {
      NON_ALNUM.lastIndex = i;
      i = NON_ALNUM.test(text) ? NON_ALNUM.lastIndex - 1 : text.length;
    }
    // The token ends at i: close the candidates whose last character was read.
    const joined = text.charCodeAt(i) === 32 && isAlnum(text.charCodeAt(i + 1));
    for (let k = head; k < tail; k++) {
      const q = k & (QUEUE - 1);
      if (queuedEnd[q] !== OPEN) continue;
      const to = (queuedFrom[q] as number) + (queuedLength[q] as number);
      if (!overrun && to === count)
        queuedEnd[q] = checksumValid(text, queuedStart[q] as number, i) ? i : REJECTED;
      else if (overrun || to < count || !joined) queuedEnd[q] = REJECTED;
    }
    for (; head < tail && queuedEnd[head & (QUEUE - 1)] !== OPEN; head++) {
      const q = head & (QUEUE - 1);
      const start = queuedStart[q] as number;
      const end = queuedEnd[q] as number;
      if (end === REJECTED || start < reportedEnd) continue;
      spans.push({ type: 'IBAN_CODE', start, end, confidence: mixedCase(text, start, end) ? 0.6 : 1 });
      reportedEnd = end;
    }
    if (!joined || head === tail) return i;
    i++;
  }
}

export function detectIbans(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  START.lastIndex = 0;
  while (START.test(text)) {
    const start = START.lastIndex - 4;
    START.lastIndex = Math.max(start + 4, scanRun(text, start, spans));
  }
  return spans;
}
