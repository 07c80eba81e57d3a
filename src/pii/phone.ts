// PHONE_NUMBER: international (+CC, 00CC) and national layouts with separators, area codes and extensions.
import { countDigits, hasContext } from './context.ts';
import type { PiiSpan } from './types.ts';

/**
 * Optional `+CC` / `(0)` / `(area)`, then up to eight digit groups joined by one space, dot or dash, then an
 * optional extension. Every repetition starts with a separator, so matching stays linear.
 */
const CANDIDATE =
  /(?<![\w+.\-/@:])(?:\+\d{1,3}[ .-]?(?:\(0\)[ ]?)?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,15}(?:[ .-]\d{1,15}){0,7}(?:[ ]?(?:x|ext\.?|extension)[ ]?\d{1,6})?(?![\w@]|[.,:-]\d)/gi;
const PHONE_BEFORE =
  /\b(?:phone|phones|tel|telephone|mobile|mob|cell|cellphone|fax|call|called|calling|desk|office|contact|whatsapp|sms|text|dial|reach|ring|landline|answering|hotline|number is|phone number|registered|messages to)\b[^\n\d]{0,12}\n?\s*$/i;
const PHONE_AFTER = /^[\s\-,(]{0,3}(?:office|fax|mobile|cell|home|work|phone|tel|direct|landline)\b/i;
/** Numbers that name something else: an identifier, an account, a licence. */
const OTHER_NUMBER_BEFORE =
  /\b(?:licen[cs]e|passport|account|acct|routing|iban|id|ticket|order|invoice|tax|ein|tin|policy|case|serial|ssn|social security|zip|postal|card|cc)\b[^\n\d]{0,20}$/i;
/** `17151 2450 Crown St`: a house number and street, not a phone. */
const STREET_AFTER =
  /^ (?:[A-Z][\w'-]*\s+){1,3}(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Ln|Lane|Dr|Drive|Way|Ct|Court|Pl|Place|Ter|Terrace|Cres|Crescent|Hwy|Highway|Pkwy|Parkway|Sq|Square|Loop|Trail|Trl|Circle|Cir)\b/;
const CAPITALISED_AFTER = /^ [A-Z][a-z]/;
const EXTENSION = /[ ]?(?:x|ext\.?|extension)[ ]?\d{1,6}$/i;

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

export function detectPhoneNumbers(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  CANDIDATE.lastIndex = 0;
  for (let m = CANDIDATE.exec(text); m !== null; m = CANDIDATE.exec(text)) {
    const raw = m[0];
    const extension = EXTENSION.exec(raw);
    const main = extension === null ? raw : raw.slice(0, extension.index);
    const digits = countDigits(main);
    if (digits < 7 || digits > 15) continue;
    const start = m.index;
    const end = start + raw.length;
    const international = main.startsWith('+');
    const bare = /^\d+$/.test(main);
    const dotted = /^[\d.]+$/.test(main);
    if (!international && looksLikeDate(main)) continue;
    if (dotted && /^\d{1,3}(?:\.\d{1,3}){3}$/.test(main)) continue; // IPv4-shaped
    if (dotted && /^\d{1,3}(?:\.\d{3})+$/.test(main)) continue; // 1.234.567 thousands
    if (dotted && main.split('.').length === 2) continue; // 3.14159265
    if (main.includes('.') && /[ -]/.test(main)) continue; // 10.2.3-1234567: versions, not dialling formats
    const after = text.slice(end, end + 48);
    if (STREET_AFTER.test(after)) continue;
    const context = hasContext(text, start, end, PHONE_BEFORE, PHONE_AFTER);
    const otherNumber = OTHER_NUMBER_BEFORE.test(text.slice(Math.max(0, start - 32), start));
    let confidence: number;
    if (international || main.startsWith('(') || extension !== null) confidence = 0.75;
    else if (bare) confidence = digits === 10 || digits === 11 ? 0.35 : 0.2;
    else confidence = digits >= 9 ? 0.6 : 0.4;
    if (!international && !context && main.split(/[ .-]/).length === 2 && CAPITALISED_AFTER.test(after))
      confidence = Math.min(confidence, 0.3);
    if (context) confidence = Math.min(1, confidence + 0.3);
    if (otherNumber) confidence = Math.min(confidence, 0.2);
    spans.push({ type: 'PHONE_NUMBER', start, end, confidence });
  }
  return spans;
}
