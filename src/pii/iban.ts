// IBAN_CODE: country code + check digits + BBAN of the country's length (spaces allowed), verified by mod 97.
import { ibanChecksumValid } from './checksums.ts';
import type { PiiSpan } from './types.ts';

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

const START = /(?<![A-Za-z0-9])([A-Za-z]{2})(\d{2})/g;

function isAlnum(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

export function detectIbans(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  START.lastIndex = 0;
  for (let m = START.exec(text); m !== null; m = START.exec(text)) {
    const country = (m[1] ?? '').toUpperCase();
    const length = IBAN_LENGTHS[country];
    if (length === undefined) continue;
    const start = m.index;
    // Collect exactly `length` alphanumerics, allowing single spaces between them (print format: groups of 4).
    let code = m[0];
    let i = start + 4;
    while (code.length < length && i < text.length) {
      const c = text.charCodeAt(i);
      if (isAlnum(c)) {
        code += text[i];
        i++;
      } else if (c === 32 && i + 1 < text.length && isAlnum(text.charCodeAt(i + 1))) i++;
      else break;
    }
    if (code.length !== length || (i < text.length && isAlnum(text.charCodeAt(i)))) continue;
    if (!ibanChecksumValid(code)) continue;
    const mixedCase = code !== code.toUpperCase() && code !== code.toLowerCase();
    spans.push({ type: 'IBAN_CODE', start, end: i, confidence: mixedCase ? 0.6 : 1 });
    START.lastIndex = i;
  }
  return spans;
}
