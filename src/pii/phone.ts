// PHONE_NUMBER: international (+CC, 00CC) and national layouts with separators, area codes and extensions.
import { endsWithWord, startsWithWord } from './context.ts';
import type { DetectorReach, PiiSpan } from './types.ts';

/** One more digit group: a separator and up to 15 digits. */
const GROUP = String.raw`[ .-]\d{1,15}`;
/** An optional extension, then the end of the match. */
const TAIL = String.raw`(?:[ ]?(?:x|ext\.?|extension)[ ]?\d{1,6})?(?![\w@]|[.,:-]\d)`;
/** After `+` and a digit: the rest of the country code, `(0)`, an area code and the number. */
const AFTER_PLUS = String.raw`\d{0,2}[ .-]?(?:\(0\)[ ]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,15}(?:${GROUP}){0,7}`;

/**
 * `+CC` (with `(0)`), `(area)`, then up to eight digit groups joined by one space, dot or dash, then an optional
 * extension; every repetition starts with a separator, so matching stays linear. It is the pattern
 * `(?:\+\d{1,3}[ .-]?(?:\(0\)[ ]?)?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,15}(?:[ .-]\d{1,15}){0,7}` + extension, written
 * out by how a number starts (`+d`, `(d…)d`, `dd`, `d-d`, `d` with an extension), so that most places where a
 * number could start are turned away by their first characters.
 *
 * A lookahead then turns away the numbers that cannot hold 7 digits (a `+` number: at most three of ` .()-`
 * between two digits; `(area)`: at least two more digits; otherwise one separator at most) unless an extension
 * follows: that match is rejected too, but it consumes the extension's digits, which could otherwise start the
 * next number. A number turned away would only have matched a short number ending within its own groups, so every
 * later match starts where it did; dense short numbers (`(1)`, `1;`, `a 1 b`) no longer cost a match each.
 */
const CANDIDATE = new RegExp(
  String.raw`(?<![\w+.\-/@:])(?:` +
    [
      String.raw`\d\d(?=(?:[ .-]?\d){5}|\d{0,13}(?:${GROUP}){0,7}[ ]?(?:x|ext))\d{0,13}(?:${GROUP}){0,7}${TAIL}`,
      String.raw`\d[ .-]\d(?=(?:[ .-]?\d){5}|\d{0,14}(?:${GROUP}){0,6}[ ]?(?:x|ext))\d{0,14}(?:${GROUP}){0,6}${TAIL}`,
      String.raw`\d[ ]?(?:x|ext\.?|extension)[ ]?\d{1,6}(?![\w@]|[.,:-]\d)`,
      String.raw`\(\d{1,5}\)[ .-]?\d(?=[ .-]?\d|\d{0,14}(?:${GROUP}){0,7}[ ]?(?:x|ext))\d{0,14}(?:${GROUP}){0,7}${TAIL}`,
      String.raw`\+\d(?=(?:[ .()-]{0,3}\d){6}|${AFTER_PLUS}[ ]?(?:x|ext))${AFTER_PLUS}${TAIL}`,
    ].join('|') +
    ')',
  'gi',
);
const PHONE_BEFORE =
  /\b(?:phone|phones|tel|telephone|mobile|mob|cell|cellphone|fax|call|called|calling|desk|office|contact|whatsapp|sms|text|dial|reach|ring|landline|answering|hotline|number is|phone number|registered|messages to)\b[^\n\d]{0,12}\n?\s*$/i;
const PHONE_AFTER = /^[\s\-,(]{0,3}(?:office|fax|mobile|cell|home|work|phone|tel|direct|landline)\b/i;
/** Numbers that name something else: an identifier, an account, a licence. */
const OTHER_NUMBER_BEFORE =
  /\b(?:licen[cs]e|passport|account|acct|routing|iban|id|ticket|order|invoice|tax|ein|tin|policy|case|serial|ssn|social security|zip|postal|card|cc)\b[^\n\d]{0,20}$/i;
/** `17151 2450 Crown St`: a house number and street, not a phone. */
const STREET_AFTER =
  /^ (?:[A-Z][\w'-]*\s+){1,3}(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Ln|Lane|Dr|Drive|Way|Ct|Court|Pl|Place|Ter|Terrace|Cres|Crescent|Hwy|Highway|Pkwy|Parkway|Sq|Square|Loop|Trail|Trl|Circle|Cir)\b/;

/** The longest match: `+123-(0) `, `(12345) `, 8 groups of 15 digits and their separators, ` extension 123456`. */
const MAX_MATCH = 9 + 8 + 8 * 15 + 7 + 17;
/** Context words 40 characters back; a street name up to 48 characters after the number. */
export const PHONE_REACH: DetectorReach = { before: 40, ahead: MAX_MATCH + 48 };

function looksLikeDate(main: string): boolean {
  const m = /^(\d{1,4})[-. ](\d{1,2})[-. ](\d{1,4})$/.exec(main);
  if (m === null) return false;
  const [, a = '', b = '', c = ''] = m;
  const month = Number(b);
  if (month < 1 || month > 12) {
    // d-m-y with the day first and the month second is covered above; also allow m-d-y.
    const swapped = Number(a);
    return a.length <= 2 && c.length === 4 && swapped >= 1 && swapped <= 12 && month <= 31;
  }
  if (a.length === 4) return Number(c) >= 1 && Number(c) <= 31;
  if (c.length === 4) return Number(a) >= 1 && Number(a) <= 31;
  return false;
}

function isUpper(code: number): boolean {
  return code >= 65 && code <= 90;
}

function isLower(code: number): boolean {
  return code >= 97 && code <= 122;
}

/** Digit-group lengths of the last number read by `readNumber` (a number has at most 8 groups). */
const groupLengths = new Int32Array(8);

/** What the filters need to know about the number part of a match, read in one pass. */
interface NumberShape {
  /** End of the number: the extension (the only letters in a match, after an optional space) is cut off. */
  end: number;
  digits: number;
  /** Spaces, dots and dashes. */
  separators: number;
  dots: number;
  /** `+`, `(` or `)`: a country or area code. */
  codes: number;
  /** Groups of digits between separators, when there are no codes (lengths in `groupLengths`). */
  groups: number;
}

const shape: NumberShape = { end: 0, digits: 0, separators: 0, dots: 0, codes: 0, groups: 0 };

function readNumber(text: string, start: number, end: number): NumberShape {
  shape.end = end;
  shape.digits = 0;
  shape.separators = 0;
  shape.dots = 0;
  shape.codes = 0;
  let groups = 0;
  let length = 0;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      shape.digits++;
      length++;
      continue;
    }
    if (isUpper(code) || isLower(code)) {
      shape.end = text.charCodeAt(i - 1) === 32 ? i - 1 : i;
      if (shape.end < i) shape.separators--;
      break;
    }
    if (code === 32 || code === 46 || code === 45) {
      shape.separators++;
      if (code === 46) shape.dots++;
    } else shape.codes++;
    if (length > 0 && groups < groupLengths.length) groupLengths[groups] = length;
    if (length > 0) groups++;
    length = 0;
  }
  if (length > 0 && groups < groupLengths.length) groupLengths[groups] = length;
  if (length > 0) groups++;
  shape.groups = groups;
  return shape;
}

/** `\d{1,3}(?:\.\d{1,3}){3}` (an IPv4 address) or `\d{1,3}(?:\.\d{3})+` (thousands) or two parts (a decimal). */
function dottedNonPhone(number: NumberShape): boolean {
  const groups = number.groups;
  if (groups === 2) return true;
  if (groups < 2 || (groupLengths[0] as number) > 3) return false;
  let thousands = true;
  let octets = groups === 4;
  for (let g = 1; g < groups; g++) {
    const length = groupLengths[g] as number;
    if (length !== 3) thousands = false;
    if (length > 3) octets = false;
  }
  return thousands || octets;
}

export function detectPhoneNumbers(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  CANDIDATE.lastIndex = 0;
  for (let m = CANDIDATE.exec(text); m !== null; m = CANDIDATE.exec(text)) {
    const start = m.index;
    const end = start + m[0].length;
    const number = readNumber(text, start, end);
    const digits = number.digits;
    if (digits < 7 || digits > 15) continue;
    const extension = number.end < end;
    const first = text.charCodeAt(start);
    const international = first === 43; // +
    const bare = number.codes === 0 && number.separators === 0;
    const dotted = number.codes === 0 && number.separators === number.dots;
    // `\d{1,4}[-. ]\d{1,2}[-. ]\d{1,4}`: maybe a date.
    if (!international && number.codes === 0 && number.groups === 3 && number.separators === 2) {
      if (looksLikeDate(text.slice(start, number.end))) continue;
    }
    if (dotted && dottedNonPhone(number)) continue;
    if (number.dots > 0 && number.separators > number.dots) continue; // 10.2.3-1234567: versions, not dialling formats
    // A street name and a capitalised word both start with a space and a capital letter.
    const capitalisedAfter = text.charCodeAt(end) === 32 && isUpper(text.charCodeAt(end + 1));
    if (capitalisedAfter && STREET_AFTER.test(text.slice(end, end + 48))) continue;
    const context =
      endsWithWord(text, start, PHONE_BEFORE, 40) || startsWithWord(text, end, PHONE_AFTER, 3, 20);
    const otherNumber = endsWithWord(text, start, OTHER_NUMBER_BEFORE, 32);
    let confidence: number;
    if (international || first === 40 || extension)
      confidence = 0.75; // + or (
    else if (bare) confidence = digits === 10 || digits === 11 ? 0.35 : 0.2;
    else confidence = digits >= 9 ? 0.6 : 0.4;
    if (
      !international &&
      !context &&
      capitalisedAfter &&
      isLower(text.charCodeAt(end + 2)) &&
      number.separators === 1
    )
      confidence = Math.min(confidence, 0.3);
    if (context) confidence = Math.min(1, confidence + 0.3);
    if (otherNumber) confidence = Math.min(confidence, 0.2);
    spans.push({ type: 'PHONE_NUMBER', start, end, confidence });
  }
  return spans;
}
