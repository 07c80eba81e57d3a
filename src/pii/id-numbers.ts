// US ID numbers Presidio names (US_ITIN, US_PASSPORT, US_DRIVER_LICENSE, US_BANK_NUMBER). Their formats are too
// loose to tell from any number except US_ITIN's, so all but US_ITIN need the document's name right before them.
import { hasWordBefore } from './context.ts';
import type { DetectorReach, PiiSpan } from './types.ts';

/** 9dd-[50-65|70-88|90-92|94-99]-dddd: the IRS's ITIN ranges (an SSN never starts with 9). */
const ITIN = /\b(?<![.+\-/])9\d{2}([- ]?)(?:5\d|6[0-5]|7\d|8[0-8]|9[0-2]|9[4-9])\1\d{4}(?![\w]|[.-]\d)/g;
const ITIN_CONTEXT = /\b(?:itin|taxpayer|tax id|tin)\b/i;

/** A cue, then optionally `number` / `no.` / `#` / `:`, then the value (captured). */
function cued(cue: string, value: string): RegExp {
  return new RegExp(
    `\\b(?:${cue})(?:\\s+(?:number|no\\.?|num|id|#))?\\s*[:#]?\\s*(${value})(?![\\w-])`,
    'gi',
  );
}

const PASSPORT = cued('passport', '[A-Z]{0,2}\\d{6,9}[A-Z]?');
const DRIVER_LICENSE = cued(
  "driver['’]?s?\\s+licen[cs]e|driving\\s+licen[cs]e|DL",
  '[A-Z0-9](?:[A-Z0-9-]{3,17})\\d',
);
const BANK_NUMBER = cued(
  'bank\\s+account|checking\\s+account|savings\\s+account|account|acct\\.?',
  '\\d{8,17}',
);

/** A cue of up to 40 characters and a value of up to 24 before and after the span start. */
export const ID_NUMBER_REACH: DetectorReach = { before: 40, ahead: 40 };

function cuedSpans(text: string, pattern: RegExp, type: PiiSpan['type']): PiiSpan[] {
  const spans: PiiSpan[] = [];
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    const value = m[1] as string;
    if (!/\d/.test(value)) continue;
    const start = m.index + m[0].length - value.length;
    spans.push({ type, start, end: start + value.length, confidence: 0.85 });
  }
  return spans;
}

export function detectItins(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  ITIN.lastIndex = 0;
  for (let m = ITIN.exec(text); m !== null; m = ITIN.exec(text)) {
    const context = hasWordBefore(text, m.index, ITIN_CONTEXT);
    // Nine bare digits are any number; with dashes the ranges make it likely an ITIN.
    if (m[1] === '' && !context) continue;
    spans.push({
      type: 'US_ITIN',
      start: m.index,
      end: m.index + m[0].length,
      confidence: context ? 1 : 0.7,
    });
  }
  return spans;
}

export const detectPassports = (text: string): PiiSpan[] => cuedSpans(text, PASSPORT, 'US_PASSPORT');
export const detectDriverLicenses = (text: string): PiiSpan[] =>
  cuedSpans(text, DRIVER_LICENSE, 'US_DRIVER_LICENSE');
export const detectBankNumbers = (text: string): PiiSpan[] => cuedSpans(text, BANK_NUMBER, 'US_BANK_NUMBER');
