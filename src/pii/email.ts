// EMAIL_ADDRESS: expands around each `@` (linear time, no regex backtracking) and validates local part and domain.
import type { PiiSpan } from './types.ts';

const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;

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

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const TLD = /^[A-Za-z]{2,24}$/;

function validDomain(domain: string): boolean {
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  const tld = labels[labels.length - 1] ?? '';
  return TLD.test(tld) && labels.every((label) => LABEL.test(label));
}

export function detectEmails(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  let lastEnd = 0;
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    if (at < lastEnd) continue;
    let start = at;
    while (start > 0 && at - start < MAX_LOCAL + 1 && isLocalChar(text.charCodeAt(start - 1))) start--;
    // A run longer than a local part may be is not an address (and bounds the work per `@`).
    if (start > 0 && isLocalChar(text.charCodeAt(start - 1))) continue;
    let end = at + 1;
    while (end < text.length && end - at <= MAX_DOMAIN && isDomainChar(text.charCodeAt(end))) end++;
    // Sentence punctuation after the address is not part of it.
    while (end > at + 1 && (text[end - 1] === '.' || text[end - 1] === '-')) end--;
    while (start < at && (text[start] === '.' || text[start] === "'")) start++;
    const local = text.slice(start, at);
    const domain = text.slice(at + 1, end);
    if (local.length === 0 || local.endsWith('.') || local.includes('..')) continue;
    if (!validDomain(domain)) continue;
    spans.push({ type: 'EMAIL_ADDRESS', start, end, confidence: 1 });
    lastEnd = end;
  }
  return spans;
}
