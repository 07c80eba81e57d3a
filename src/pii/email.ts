// EMAIL_ADDRESS: expands around each plausible `@` (linear time, no regex backtracking) and validates local part and domain.
import type { DetectorReach, PiiSpan } from './types.ts';

const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;

/**
 * An address is at most 65 + 1 + 253 characters (a local part one character over RFC 5321's 64 is still taken),
 * read from one character before the local part up to the domain's limit: emails longer than that are not emails.
 */
export const EMAIL_REACH: DetectorReach = { before: MAX_LOCAL + 1, ahead: MAX_LOCAL + 1 + 1 + MAX_DOMAIN };

/**
 * Where an address can be: a local-part character other than a dot before the `@`, a letter or digit after it,
 * and a dot and two letters (a top-level label) further on in the domain. Testing each `@` in place would cost a
 * few dozen nanoseconds per `@` even where none of this holds (`@@@…`, `a@a@…`).
 */
const PLAUSIBLE_AT = /@(?<=[A-Za-z0-9_%+'-]@)[A-Za-z0-9][A-Za-z0-9.-]{0,251}?\.[A-Za-z]{2}/g;

function isLocalChar(code: number): boolean {
  return (
    (code >= 48 && code <= 57) ||
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    code === 46 || // .
    code === 95 || // _
    code === 37 || // %
    code === 43 || // +
    code === 45 || // -
    code === 39 // '
  );
}

function isDomainChar(code: number): boolean {
  return (
    (code >= 48 && code <= 57) ||
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    code === 45 ||
    code === 46
  );
}

function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** Non-empty, not ending in a dot, no two dots in a row. */
function validLocal(text: string, start: number, end: number): boolean {
  if (end <= start || text.charCodeAt(end - 1) === 46) return false;
  for (let i = start + 1; i < end; i++) {
    if (text.charCodeAt(i) === 46 && text.charCodeAt(i - 1) === 46) return false;
  }
  return true;
}

/**
 * `text[start, end)` (letters, digits, dots and dashes only) has two or more labels of 1–63 characters that neither
 * start nor end with a dash, and a top-level label of 2–24 letters. Reads the text in place: no slices per `@`.
 */
function validDomain(text: string, start: number, end: number): boolean {
  let labels = 0;
  let labelStart = start;
  for (let i = start; i <= end; i++) {
    if (i < end && text.charCodeAt(i) !== 46) continue;
    const length = i - labelStart;
    if (length < 1 || length > 63) return false;
    if (text.charCodeAt(labelStart) === 45 || text.charCodeAt(i - 1) === 45) return false;
    labels++;
    if (i < end) labelStart = i + 1;
  }
  if (labels < 2 || end - labelStart < 2 || end - labelStart > 24) return false;
  for (let i = labelStart; i < end; i++) if (!isLetter(text.charCodeAt(i))) return false;
  return true;
}

export function detectEmails(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  // The local part and the domain hold no `@`, so each `@` is expanded once and addresses never overlap.
  for (let next = text.indexOf('@'); next >= 0; next = text.indexOf('@', next)) {
    PLAUSIBLE_AT.lastIndex = next;
    const m = PLAUSIBLE_AT.exec(text);
    if (m === null) break;
    const at = m.index;
    next = at + 1;
    let start = at;
    while (start > 0 && at - start < MAX_LOCAL + 1 && isLocalChar(text.charCodeAt(start - 1))) start--;
    // A run longer than a local part may be is not an address (and bounds the work per `@`).
    if (start > 0 && isLocalChar(text.charCodeAt(start - 1))) continue;
    let end = at + 1;
    while (end < text.length && end - at <= MAX_DOMAIN && isDomainChar(text.charCodeAt(end))) end++;
    // Sentence punctuation after the address is not part of it.
    while (end > at + 1 && (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 45)) end--;
    while (start < at && (text.charCodeAt(start) === 46 || text.charCodeAt(start) === 39)) start++;
    if (!validLocal(text, start, at) || !validDomain(text, at + 1, end)) continue;
    spans.push({ type: 'EMAIL_ADDRESS', start, end, confidence: 1 });
  }
  return spans;
}
