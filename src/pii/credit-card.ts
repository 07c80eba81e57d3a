// CREDIT_CARD: 12–19 digits (optionally grouped by spaces or dashes) that pass Luhn, scored by known IIN ranges.
import { hasWordBefore } from './context.ts';
import type { DetectorReach, PiiSpan } from './types.ts';

/**
 * Maximal runs of digit groups; bounded quantifiers keep matching linear. `\b(?<![.+\-/])` is `(?<![\w.+\-/])` in
 * front of a digit, tested only where a word starts rather than at every digit of a long number. The lookahead,
 * after the first digit, turns away a run with fewer than 12 digits before it becomes a match: a run starting
 * inside it has fewer still, so every run that can hold a card is matched exactly as without it.
 */
const CANDIDATE = /\b(?<![.+\-/])\d(?=(?:[ -]?\d){11})\d{0,18}(?:[ -]\d{1,19}){0,18}(?![\w]|[.,-]\d)/g;
const CARD_CONTEXT =
  /\b(?:card|cards|cc|credit|debit|visa|mastercard|master card|amex|american express|discover|jcb|diners|maestro|unionpay|pan)\b/i;

/** A candidate reads at most 19 groups of 19 digits, their separators and 2 characters of lookahead. */
export const CREDIT_CARD_REACH: DetectorReach = { before: 40, ahead: 19 * 19 + 18 + 2 };

/** Whether `digits` starts with an issuer prefix that issues cards of this length. */
export function knownIssuer(digits: string): boolean {
  const prefix = (length: number) => Number(digits.slice(0, length));
  return issuerKnown(prefix(1), prefix(2), prefix(3), prefix(4), prefix(6), digits.length);
}

/** Issuer ranges by the number's first 1, 2, 3, 4 and 6 digits (as numbers) and its length. */
function issuerKnown(p1: number, p2: number, p3: number, p4: number, p6: number, n: number): boolean {
  if (p1 === 4) return n === 13 || n === 16 || n === 19; // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16; // Mastercard
  if (p2 === 34 || p2 === 37) return n === 15; // American Express
  if ((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || p2 === 39) return n >= 14 && n <= 19; // Diners Club
  if (p4 === 6011 || (p2 >= 64 && p2 <= 65) || (p6 >= 622126 && p6 <= 622925)) return n >= 16 && n <= 19; // Discover
  if (p2 === 35) return n >= 16 && n <= 19; // JCB (3528–3589; other 35 prefixes are unassigned)
  if (p4 === 2131 || p4 === 1800) return n === 15; // JCB (legacy)
  if (p2 === 62) return n >= 16 && n <= 19; // UnionPay
  if (p4 >= 2200 && p4 <= 2204) return n >= 16 && n <= 19; // Mir
  if (p2 === 50 || (p2 >= 56 && p2 <= 69)) return n >= 12 && n <= 19; // Maestro
  return false;
}

/**
 * For `text[start, end)` (digit groups joined by single spaces or dashes) laid out like a card number (12–19
 * digits, and when grouped, groups of 3–8 digits with one kind of separator) that passes Luhn: its number of
 * digits, negated when the issuer prefix is unknown. 0 otherwise. Reads the text in place.
 */
function cardShape(text: string, start: number, end: number): number {
  let digits = 0;
  let groups = 1;
  let groupLength = 0;
  let shortest = 99;
  let longest = 0;
  let separator = 0;
  let prefix = 0;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      if (digits < 6) prefix = prefix * 10 + (code - 48);
      digits++;
      groupLength++;
      continue;
    }
    if (separator !== 0 && code !== separator) return 0; // printed cards use one kind of separator
    separator = code;
    groups++;
    if (groupLength < shortest) shortest = groupLength;
    if (groupLength > longest) longest = groupLength;
    groupLength = 0;
  }
  if (digits < 12 || digits > 19) return 0;
  if (groups > 1) {
    if (groupLength < shortest) shortest = groupLength;
    if (groupLength > longest) longest = groupLength;
    // Printed cards group digits in blocks of 4 (Amex 4-6-5, Diners 4-6-4).
    if (shortest < 3 || longest > 8) return 0;
  }
  if (!luhnValidIn(text, start, end)) return 0;
  const known = issuerKnown(
    Math.floor(prefix / 100000),
    Math.floor(prefix / 10000),
    Math.floor(prefix / 1000),
    Math.floor(prefix / 100),
    prefix,
    digits,
  );
  return known ? digits : -digits;
}

/** Luhn over the digits of `text[start, end)`, skipping separators. */
function luhnValidIn(text: string, start: number, end: number): boolean {
  let sum = 0;
  let double = false;
  for (let i = end - 1; i >= start; i--) {
    let d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) continue;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

export function detectCreditCards(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  CANDIDATE.lastIndex = 0;
  for (let m = CANDIDATE.exec(text); m !== null; m = CANDIDATE.exec(text)) {
    const start = m.index;
    const end = start + m[0].length;
    const shape = cardShape(text, start, end);
    if (shape === 0) continue;
    const context = hasWordBefore(text, start, CARD_CONTEXT);
    let confidence = shape > 0 ? 0.85 : 0.3;
    if (context) confidence += 0.15;
    if (Math.abs(shape) === 12 && !context) confidence = Math.min(confidence, 0.45);
    spans.push({ type: 'CREDIT_CARD', start, end, confidence });
  }
  return spans;
}
