// Runs every structured PII detector whose cheap prefilter passes and resolves overlaps into one list of spans.
//
// Cost: every detector is linear in the text, and dense hostile input (digit groups, `@`s, `GB12 ` runs, lone
// surrogates) costs a small multiple of plain prose per character; bench/pii-cpu.ts measures it per input class.
import { CREDIT_CARD_REACH, detectCreditCards } from './credit-card.ts';
import { detectEmails, EMAIL_REACH } from './email.ts';
import { detectIbans, IBAN_REACH } from './iban.ts';
import {
  detectBankNumbers,
  detectDriverLicenses,
  detectItins,
  detectPassports,
  ID_NUMBER_REACH,
} from './id-numbers.ts';
import { detectIpAddresses, IP_ADDRESS_REACH } from './ip-address.ts';
import { detectPhoneNumbers, PHONE_REACH } from './phone.ts';
import { detectSsns, SSN_REACH } from './ssn.ts';
import type { DetectorReach, PiiDetector, PiiSpan, PiiType } from './types.ts';
import { detectUrls, URL_REACH } from './url.ts';

interface Prefilter {
  readonly digit: boolean;
  readonly at: boolean;
  readonly colon: boolean;
  readonly dot: boolean;
}

interface DetectorEntry {
  readonly type: PiiType;
  readonly detect: PiiDetector;
  readonly reach: DetectorReach;
  /** Skip the detector when the text cannot contain its entity. */
  readonly applies: (pre: Prefilter) => boolean;
  /** Breaks confidence ties between overlapping spans: lower wins. */
  readonly rank: number;
  /** Runs only when DetectOptions.optIn names its type (OPT_IN_PII_TYPES). */
  readonly optIn?: boolean;
}

const DETECTORS: readonly DetectorEntry[] = [
  { type: 'EMAIL_ADDRESS', detect: detectEmails, reach: EMAIL_REACH, applies: (p) => p.at, rank: 0 },
  { type: 'IBAN_CODE', detect: detectIbans, reach: IBAN_REACH, applies: (p) => p.digit, rank: 1 },
  {
    type: 'CREDIT_CARD',
    detect: detectCreditCards,
    reach: CREDIT_CARD_REACH,
    applies: (p) => p.digit,
    rank: 2,
  },
  { type: 'US_SSN', detect: detectSsns, reach: SSN_REACH, applies: (p) => p.digit, rank: 3 },
  {
    type: 'IP_ADDRESS',
    detect: detectIpAddresses,
    reach: IP_ADDRESS_REACH,
    applies: (p) => p.digit || p.colon,
    rank: 4,
  },
  { type: 'PHONE_NUMBER', detect: detectPhoneNumbers, reach: PHONE_REACH, applies: (p) => p.digit, rank: 5 },
  { type: 'US_ITIN', detect: detectItins, reach: SSN_REACH, applies: (p) => p.digit, rank: 6, optIn: true },
  {
    type: 'US_PASSPORT',
    detect: detectPassports,
    reach: ID_NUMBER_REACH,
    applies: (p) => p.digit,
    rank: 7,
    optIn: true,
  },
  {
    type: 'US_DRIVER_LICENSE',
    detect: detectDriverLicenses,
    reach: ID_NUMBER_REACH,
    applies: (p) => p.digit,
    rank: 8,
    optIn: true,
  },
  {
    type: 'US_BANK_NUMBER',
    detect: detectBankNumbers,
    reach: ID_NUMBER_REACH,
    applies: (p) => p.digit,
    rank: 9,
    optIn: true,
  },
  { type: 'URL', detect: detectUrls, reach: URL_REACH, applies: (p) => p.dot, rank: 10, optIn: true },
];

const RANK = new Map<PiiType, number>(DETECTORS.map((d) => [d.type, d.rank]));

/**
 * Bound on the text behind one span, for scanning long texts in chunks: every detector decides a span (whether it
 * is reported, where it ends, how confident it is) from at most PII_MAX_SPAN_CHARS / 2 characters before the
 * span's start and PII_MAX_SPAN_CHARS / 2 from its start on, the span itself included. So no span is longer than
 * PII_MAX_SPAN_CHARS / 2, and a chunk sees all a span depends on when the span starts at least
 * PII_MAX_SPAN_CHARS / 2 from the chunk's edges. The widest reads: a card candidate (19 groups of up to 19
 * digits, 381 characters); an email (65 + 1 + 253 characters: longer ones are not emails); a phone number and
 * the street name after it (209); context words 40 characters back.
 *
 * Chunks that overlap by PII_MAX_SPAN_CHARS, each keeping the spans that start in its own part (`piiChunks`),
 * report what one scan of the whole text does, except inside a run of back-to-back candidates longer than half
 * the overlap (`1 1 1 …`, where the grouping of the run depends on where the scan starts).
 */
export const PII_MAX_SPAN_CHARS =
  2 * Math.max(...DETECTORS.map((d) => Math.max(d.reach.before, d.reach.ahead)));

/** A window of a long text to scan, and the part of it whose spans the window reports. */
export interface PiiChunk {
  readonly start: number;
  readonly end: number;
  /** Spans starting in [ownStart, ownEnd) are reported from this window; the owned parts tile the text. */
  readonly ownStart: number;
  readonly ownEnd: number;
}

/**
 * Windows of `size` characters over a text of `length`, overlapping by PII_MAX_SPAN_CHARS; each owns the
 * positions from the middle of its overlap with the previous window to the middle of its overlap with the next.
 */
export function piiChunks(length: number, size: number): PiiChunk[] {
  if (size <= PII_MAX_SPAN_CHARS) throw new RangeError(`chunk size must exceed ${PII_MAX_SPAN_CHARS}`);
  const half = PII_MAX_SPAN_CHARS / 2;
  const chunks: PiiChunk[] = [];
  for (let start = 0; ; start += size - PII_MAX_SPAN_CHARS) {
    const end = Math.min(length, start + size);
    const last = end === length;
    chunks.push({ start, end, ownStart: start === 0 ? 0 : start + half, ownEnd: last ? length : end - half });
    if (last) return chunks;
  }
}

export interface DetectOptions {
  /** Run only these detectors (default: all). */
  readonly types?: ReadonlySet<PiiType>;
  /** Opt-in detectors to run as well (default: none). */
  readonly optIn?: ReadonlySet<PiiType>;
  /** Keep overlapping spans of different types instead of the most confident one (for debugging). */
  readonly keepOverlaps?: boolean;
}

function prefilter(text: string): Prefilter {
  return {
    digit: /\d/.test(text),
    at: text.includes('@'),
    colon: text.includes(':'),
    dot: text.includes('.'),
  };
}

/** Spans of structured PII in `text`, sorted by start, non-overlapping unless `keepOverlaps` (opt-in spans may overlap the others). */
export function detectPii(text: string, options: DetectOptions = {}): PiiSpan[] {
  if (text.length === 0) return [];
  const pre = prefilter(text);
  const spans = detectWith(text, pre, options, (entry) => entry.optIn !== true);
  if (options.optIn === undefined || options.optIn.size === 0) return spans;
  // Opt-in spans are resolved among themselves only: a rule that does not ask for them keeps what it would find
  // without them (the bank number that also reads as a phone number stays a phone number for it).
  const optIn = options.optIn;
  const extra = detectWith(text, pre, options, (entry) => entry.optIn === true && optIn.has(entry.type));
  return extra.length === 0 ? spans : [...spans, ...extra].sort(byStartThenEnd);
}

function detectWith(
  text: string,
  pre: Prefilter,
  options: DetectOptions,
  runs: (entry: DetectorEntry) => boolean,
): PiiSpan[] {
  const found: PiiSpan[][] = [];
  for (const entry of DETECTORS) {
    if (options.types !== undefined && !options.types.has(entry.type)) continue;
    if (!runs(entry) || !entry.applies(pre)) continue;
    const spans = entry.detect(text);
    if (spans.length > 0) found.push(spans);
  }
  // One detector's spans in text order without overlaps (dense PII of one kind): already the answer, uncopied.
  const only = found.length === 1 ? (found[0] as PiiSpan[]) : undefined;
  if (only !== undefined && inOrderWithoutOverlaps(only)) return only;
  const candidates = found.flat();
  if (options.keepOverlaps === true) return candidates.sort(byStartThenEnd);
  return resolveOverlaps(candidates);
}

function inOrderWithoutOverlaps(spans: readonly PiiSpan[]): boolean {
  for (let i = 1; i < spans.length; i++)
    if ((spans[i] as PiiSpan).start < (spans[i - 1] as PiiSpan).end) return false;
  return true;
}

function byStartThenEnd(a: PiiSpan, b: PiiSpan): number {
  return a.start - b.start || a.end - b.end;
}

/** Keeps the most confident span of each overlapping group (ties: more specific type, then longer span). */
export function resolveOverlaps(spans: readonly PiiSpan[]): PiiSpan[] {
  // Detectors report in text order, so the sort is usually skipped (it is stable, so skipping it changes nothing).
  let sorted = true;
  for (let i = 1; i < spans.length && sorted; i++)
    sorted = byStartThenEnd(spans[i - 1] as PiiSpan, spans[i] as PiiSpan) <= 0;
  const byStart = sorted ? spans : [...spans].sort(byStartThenEnd);
  const kept: PiiSpan[] = [];
  // Sweep into clusters of transitively overlapping spans; clusters are tiny, so the greedy pick is cheap.
  for (let first = 0; first < byStart.length; ) {
    const span = byStart[first] as PiiSpan;
    let clusterEnd = span.end;
    let next = first + 1;
    for (; next < byStart.length && (byStart[next] as PiiSpan).start < clusterEnd; next++)
      clusterEnd = Math.max(clusterEnd, (byStart[next] as PiiSpan).end);
    if (next === first + 1) kept.push(span);
    else for (const pick of pickGreedy(byStart.slice(first, next))) kept.push(pick);
    first = next;
  }
  return kept;
}

/** The spans of one cluster to keep, by start. */
function pickGreedy(cluster: readonly PiiSpan[]): PiiSpan[] {
  const ordered = [...cluster].sort(
    (a, b) =>
      b.confidence - a.confidence ||
      (RANK.get(a.type) ?? 99) - (RANK.get(b.type) ?? 99) ||
      b.end - b.start - (a.end - a.start) ||
      a.start - b.start,
  );
  const kept: PiiSpan[] = [];
  for (const span of ordered) {
    if (kept.some((k) => k.start < span.end && span.start < k.end)) continue;
    kept.push(span);
  }
  return kept.sort((a, b) => a.start - b.start);
}
