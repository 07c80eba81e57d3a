// CREDIT_CARD: 12–19 digits (optionally grouped by spaces or dashes) that pass Luhn, scored by known IIN ranges.
import { luhnValid } from './checksums.ts';
import { hasContext } from './context.ts';
import type { PiiSpan } from './types.ts';

/** Maximal runs of digit groups; bounded quantifiers keep matching linear on megabytes of digits. */
const CANDIDATE = /(?<![\w.+\-/])\d{1,19}(?:[ -]\d{1,19}){0,18}(?![\w]|[.,-]\d)/g;
const CARD_CONTEXT =
  /\b(?:card|cards|cc|credit|debit|visa|mastercard|master card|amex|american express|discover|jcb|diners|maestro|unionpay|pan)\b/i;

function inRange(digits: string, length: number, low: number, high: number): boolean {
  const prefix = Number(digits.slice(0, length));
  return prefix >= low && prefix <= high;
}

/** Whether `digits` starts with an issuer prefix that issues cards of this length. */
export function knownIssuer(digits: string): boolean {
  const n = digits.length;
  const first = digits[0];
  if (first === '4') return n === 13 || n === 16 || n === 19; // Visa
  if (inRange(digits, 2, 51, 55) || inRange(digits, 4, 2221, 2720)) return n === 16; // Mastercard
  if (digits.startsWith('34') || digits.startsWith('37')) return n === 15; // American Express
  if (
    inRange(digits, 3, 300, 305) ||
    digits.startsWith('36') ||
    digits.startsWith('38') ||
    digits.startsWith('39')
  )
    return n >= 14 && n <= 19; // Diners Club
  if (digits.startsWith('6011') || inRange(digits, 2, 64, 65) || inRange(digits, 6, 622126, 622925))
    return n >= 16 && n <= 19; // Discover
  if (digits.startsWith('35')) return n >= 16 && n <= 19; // JCB (3528–3589; other 35 prefixes are unassigned)
  if (digits.startsWith('2131') || digits.startsWith('1800')) return n === 15; // JCB (legacy)
  if (digits.startsWith('62')) return n >= 16 && n <= 19; // UnionPay
  if (inRange(digits, 4, 2200, 2204)) return n >= 16 && n <= 19; // Mir
  if (digits.startsWith('50') || inRange(digits, 2, 56, 69)) return n >= 12 && n <= 19; // Maestro
  return false;
}

export function detectCreditCards(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  CANDIDATE.lastIndex = 0;
  for (let m = CANDIDATE.exec(text); m !== null; m = CANDIDATE.exec(text)) {
    const raw = m[0];
    const digits = raw.replace(/[ -]/g, '');
    if (digits.length < 12 || digits.length > 19) continue;
    const groups = raw.split(/[ -]/);
    if (groups.length > 1) {
      // Printed cards group digits in blocks of 4 (Amex 4-6-5, Diners 4-6-4) with one kind of separator.
      if (/ /.test(raw) && /-/.test(raw)) continue;
      if (groups.some((g) => g.length < 3 || g.length > 8)) continue;
    }
    if (!luhnValid(digits)) continue;
    const issuer = knownIssuer(digits);
    const context = hasContext(text, m.index, m.index + raw.length, CARD_CONTEXT);
    let confidence = issuer ? 0.85 : 0.3;
    if (context) confidence += 0.15;
    if (digits.length === 12 && !context) confidence = Math.min(confidence, 0.45);
    spans.push({ type: 'CREDIT_CARD', start: m.index, end: m.index + raw.length, confidence });
  }
  return spans;
}
