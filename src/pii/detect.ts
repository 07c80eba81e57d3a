// Runs every structured PII detector whose cheap prefilter passes and resolves overlaps into one list of spans.
import { detectCreditCards } from './credit-card.ts';
import { detectEmails } from './email.ts';
import { detectIbans } from './iban.ts';
import { detectIpAddresses } from './ip-address.ts';
import { detectPhoneNumbers } from './phone.ts';
import { detectSsns } from './ssn.ts';
import type { PiiDetector, PiiSpan, PiiType } from './types.ts';

interface Prefilter {
  readonly digit: boolean;
  readonly at: boolean;
  readonly colon: boolean;
}

interface DetectorEntry {
  readonly type: PiiType;
  readonly detect: PiiDetector;
  /** Skip the detector when the text cannot contain its entity. */
  readonly applies: (pre: Prefilter) => boolean;
  /** Breaks confidence ties between overlapping spans: lower wins. */
  readonly rank: number;
}

const DETECTORS: readonly DetectorEntry[] = [
  { type: 'EMAIL_ADDRESS', detect: detectEmails, applies: (p) => p.at, rank: 0 },
  { type: 'IBAN_CODE', detect: detectIbans, applies: (p) => p.digit, rank: 1 },
  { type: 'CREDIT_CARD', detect: detectCreditCards, applies: (p) => p.digit, rank: 2 },
  { type: 'US_SSN', detect: detectSsns, applies: (p) => p.digit, rank: 3 },
  { type: 'IP_ADDRESS', detect: detectIpAddresses, applies: (p) => p.digit || p.colon, rank: 4 },
  { type: 'PHONE_NUMBER', detect: detectPhoneNumbers, applies: (p) => p.digit, rank: 5 },
];

const RANK = new Map<PiiType, number>(DETECTORS.map((d) => [d.type, d.rank]));

export interface DetectOptions {
  /** Run only these detectors (default: all). */
  readonly types?: ReadonlySet<PiiType>;
  /** Keep overlapping spans of different types instead of the most confident one (for debugging). */
  readonly keepOverlaps?: boolean;
}

function prefilter(text: string): Prefilter {
  return { digit: /\d/.test(text), at: text.includes('@'), colon: text.includes(':') };
}

/** Spans of structured PII in `text`, sorted by start, non-overlapping unless `keepOverlaps`. */
export function detectPii(text: string, options: DetectOptions = {}): PiiSpan[] {
  if (text.length === 0) return [];
  const pre = prefilter(text);
  const candidates: PiiSpan[] = [];
  for (const entry of DETECTORS) {
    if (options.types !== undefined && !options.types.has(entry.type)) continue;
    if (!entry.applies(pre)) continue;
    for (const span of entry.detect(text)) candidates.push(span);
  }
  if (options.keepOverlaps === true) return candidates.sort((a, b) => a.start - b.start || a.end - b.end);
  return resolveOverlaps(candidates);
}

/** Keeps the most confident span of each overlapping group (ties: more specific type, then longer span). */
export function resolveOverlaps(spans: readonly PiiSpan[]): PiiSpan[] {
  const byStart = [...spans].sort((a, b) => a.start - b.start || a.end - b.end);
  const kept: PiiSpan[] = [];
  // Sweep into clusters of transitively overlapping spans; clusters are tiny, so the greedy pick is cheap.
  let cluster: PiiSpan[] = [];
  let clusterEnd = -1;
  const flush = () => {
    if (cluster.length === 1) kept.push(cluster[0] as PiiSpan);
    else if (cluster.length > 1) kept.push(...pickGreedy(cluster));
    cluster = [];
  };
  for (const span of byStart) {
    if (span.start >= clusterEnd) flush();
    cluster.push(span);
    clusterEnd = Math.max(clusterEnd, span.end);
  }
  flush();
  return kept.sort((a, b) => a.start - b.start);
}

function pickGreedy(cluster: readonly PiiSpan[]): PiiSpan[] {
  const ordered = [...cluster].sort(
    (a, b) =>
      b.confidence - a.confidence ||
      (RANK.get(a.type) ?? 9) - (RANK.get(b.type) ?? 9) ||
      b.end - b.start - (a.end - a.start) ||
      a.start - b.start,
  );
  const kept: PiiSpan[] = [];
  for (const span of ordered) {
    if (kept.some((k) => k.start < span.end && span.start < k.end)) continue;
    kept.push(span);
  }
  return kept;
}
