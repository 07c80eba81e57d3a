// US_SSN: ddd-dd-dddd (or spaced / bare 9 digits next to an SSN context word), excluding never-issued numbers.
import { hasWordBefore } from './context.ts';
import type { DetectorReach, PiiSpan } from './types.ts';

/** `\b(?<![.+\-/])` is `(?<![\w.+\-/])` in front of a digit, tested only where a word starts. */
const CANDIDATE = /\b(?<![.+\-/])(\d{3})([- .]?)(\d{2})\2(\d{4})(?![\w]|[.-]\d)/g;
const SSN_CONTEXT = /\b(?:ssn|ssns|ss#|ss #|social security|social sec|soc sec|ssa)\b/i;
/** Numbers published in advertising and documentation, never valid for a person. */
const KNOWN_FAKE = new Set(['078051120', '219099999', '123456789', '111111111', '457555462']);

/** ddd-dd-dddd and two characters of lookahead, after a context window. */
export const SSN_REACH: DetectorReach = { before: 40, ahead: 13 };

/** Area 000, 666 and 900–999, group 00 and serial 0000 were never issued. */
export function ssnValid(area: string, group: string, serial: string): boolean {
  if (area === '000' || area === '666' || area.startsWith('9')) return false;
  if (group === '00' || serial === '0000') return false;
  return !KNOWN_FAKE.has(area + group + serial);
}

export function detectSsns(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  CANDIDATE.lastIndex = 0;
  for (let m = CANDIDATE.exec(text); m !== null; m = CANDIDATE.exec(text)) {
    const area = m[1] as string;
    const separator = m[2] as string;
    if (!ssnValid(area, m[3] as string, m[4] as string)) continue;
    const end = m.index + m[0].length;
    const context = hasWordBefore(text, m.index, SSN_CONTEXT);
    let confidence: number;
    if (separator === '-') confidence = context ? 1 : 0.75;
    else if (context) confidence = 0.85;
    else continue;
    spans.push({ type: 'US_SSN', start: m.index, end, confidence });
  }
  return spans;
}
