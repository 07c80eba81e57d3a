// URL: http(s):// or www. addresses. Not personal data by itself, so only rules that name URL report it.
import type { DetectorReach, PiiSpan } from './types.ts';

const URL_PATTERN = /\b(?:https?:\/\/|www\.)[^\s<>"'`{}|\\^]{2,299}/gi;
/** Sentence punctuation after a URL is not part of it. */
const TRAILING = /[.,;:!?)\]]+$/;

/** A URL is cut at 300 characters (the span reports that much; longer ones are rare and still found). */
export const URL_REACH: DetectorReach = { before: 1, ahead: 300 };

export function detectUrls(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  URL_PATTERN.lastIndex = 0;
  for (let m = URL_PATTERN.exec(text); m !== null; m = URL_PATTERN.exec(text)) {
    const value = m[0].replace(TRAILING, '');
    if (!/[a-z0-9]\.[a-z]{2,}/i.test(value)) continue;
    spans.push({ type: 'URL', start: m.index, end: m.index + value.length, confidence: 0.9 });
  }
  return spans;
}
