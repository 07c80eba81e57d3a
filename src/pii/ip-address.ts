// IP_ADDRESS: dotted IPv4 with octet range checks (not version strings) and IPv6 incl. `::` and embedded IPv4.
import type { DetectorReach, PiiSpan } from './types.ts';

const IPV4 = /(?<![\w.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\w]|\.\d)/g;
const VERSION_CONTEXT =
  /(?:\bv|\bversion|\bver\.?|\brelease|\bbuild|\bfirmware|\bpython|\bnode|\bchrome)\s*$/i;
/** An IPv6 candidate: a hex digit or colon, then up to 44 hex digits, colons and dots. */
const IPV6_MAX = 45;

/** IPv4 reads a version word 12 characters back; an IPv6 candidate is at most 45 characters, plus one after. */
export const IP_ADDRESS_REACH: DetectorReach = { before: 12, ahead: IPV6_MAX + 1 };

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isHex(code: number): boolean {
  return isDigit(code) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

/** `[0-9A-Fa-f:.]`: the characters of an IPv6 candidate. */
function isV6Char(code: number): boolean {
  return isHex(code) || code === 58 || code === 46;
}

/** `\w` (ASCII, as in a regex without the `u` flag). */
function isWordChar(code: number): boolean {
  return isDigit(code) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

/** Four dot-separated decimal octets in `text[start, end)`, each 0–255 without a leading zero. */
function ipv4ValidIn(text: string, start: number, end: number): boolean {
  let parts = 0;
  let partStart = start;
  for (let i = start; i <= end; i++) {
    if (i < end && text.charCodeAt(i) !== 46) {
      if (!isDigit(text.charCodeAt(i))) return false;
      continue;
    }
    const length = i - partStart;
    if (length < 1 || length > 3) return false;
    if (length > 1 && text.charCodeAt(partStart) === 48) return false;
    if (Number(text.slice(partStart, i)) > 255) return false;
    parts++;
    partStart = i + 1;
  }
  return parts === 4;
}

export function ipv4Valid(text: string): boolean {
  return ipv4ValidIn(text, 0, text.length);
}

/**
 * Groups of `text[start, end)` split at `:` (plus a final `0` standing for an embedded IPv4 address), each 1–4
 * hex digits; -1 when one is not. An empty half (`''` around `::`) has none.
 */
function hexGroups(text: string, start: number, end: number, embeddedV4: boolean): number {
  if (start === end && !embeddedV4) return 0;
  let groups = 0;
  let length = 0;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code === 58) {
      if (length < 1 || length > 4) return -1;
      groups++;
      length = 0;
    } else if (isHex(code)) length++;
    else return -1;
  }
  if (embeddedV4) length++;
  return length < 1 || length > 4 ? -1 : groups + 1;
}

/**
 * Full (8 groups), compressed (`::`) and IPv4-suffixed forms; at least two non-empty groups and a digit. Reads
 * `text[start, end)` in place (an embedded IPv4 address counts as two groups).
 */
function ipv6ValidIn(text: string, start: number, end: number): boolean {
  let lastColon = -1;
  for (let i = end - 1; i >= start; i--) {
    if (text.charCodeAt(i) === 58) {
      lastColon = i;
      break;
    }
  }
  if (lastColon < 0) return false; // one group (or an IPv4 address) at most
  let groupsEnd = end;
  let embeddedV4 = false;
  for (let i = lastColon + 1; i < end; i++) {
    if (text.charCodeAt(i) !== 46) continue;
    if (!ipv4ValidIn(text, lastColon + 1, end)) return false;
    groupsEnd = lastColon + 1;
    embeddedV4 = true;
    break;
  }
  let compressed = -1;
  for (let i = start; i < groupsEnd; i++) {
    const code = text.charCodeAt(i);
    if (code === 46) return false;
    if (code === 58 && i + 1 < groupsEnd && text.charCodeAt(i + 1) === 58) {
      if (compressed >= 0) return false; // two `::`
      compressed = i;
      i++;
    }
  }
  let head: number;
  let tail = 0;
  if (compressed < 0) head = hexGroups(text, start, groupsEnd, embeddedV4);
  else {
    head = hexGroups(text, start, compressed, false);
    tail = hexGroups(text, compressed + 2, groupsEnd, embeddedV4);
  }
  if (head < 0 || tail < 0) return false;
  const v4Groups = embeddedV4 ? 1 : 0;
  const count = head + tail + v4Groups;
  if (compressed < 0 ? count !== 8 : count > 7) return false;
  if (head + tail < 2 && !embeddedV4) return false;
  for (let i = start; i < end; i++) if (isDigit(text.charCodeAt(i))) return true;
  return false;
}

export function ipv6Valid(candidate: string): boolean {
  return ipv6ValidIn(candidate, 0, candidate.length);
}

/**
 * IPv6 candidates, as `(?<![\w:.])[0-9A-Fa-f:][0-9A-Fa-f:.]{1,44}(?![\w:])` would match them: only where a run of
 * hex digits, colons and dots holds a colon, and then at the run's start (nothing starts after a run character);
 * from each colon to the end of its run, so the text is read once however the colons are spread.
 */
function detectIpv6(text: string, spans: PiiSpan[]): void {
  for (let colon = text.indexOf(':'); colon >= 0; ) {
    let start = colon;
    while (start > 0 && isV6Char(text.charCodeAt(start - 1))) start--;
    let runEnd = colon + 1;
    while (runEnd < text.length && isV6Char(text.charCodeAt(runEnd))) runEnd++;
    colon = text.indexOf(':', runEnd);
    if (start > 0 && isWordChar(text.charCodeAt(start - 1))) continue;
    if (text.charCodeAt(start) === 46) continue;
    // Greedy up to 45 characters, back to the last end not followed by a word character or colon.
    let end = Math.min(runEnd, start + IPV6_MAX);
    while (
      end >= start + 2 &&
      end < text.length &&
      (isWordChar(text.charCodeAt(end)) || text.charCodeAt(end) === 58)
    )
      end--;
    if (end < start + 2) continue;
    while (text.charCodeAt(end - 1) === 46) end--;
    if (!ipv6ValidIn(text, start, end)) continue;
    spans.push({ type: 'IP_ADDRESS', start, end, confidence: 0.9 });
  }
}

export function detectIpAddresses(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  if (text.includes('.')) {
    IPV4.lastIndex = 0;
    for (let m = IPV4.exec(text); m !== null; m = IPV4.exec(text)) {
      const start = m.index;
      const end = start + m[0].length;
      if (!ipv4ValidIn(text, start, end)) continue;
      const version = VERSION_CONTEXT.test(text.slice(Math.max(0, start - 12), start));
      spans.push({ type: 'IP_ADDRESS', start, end, confidence: version ? 0.3 : 0.9 });
    }
  }
  if (text.includes(':')) detectIpv6(text, spans);
  return spans;
}
