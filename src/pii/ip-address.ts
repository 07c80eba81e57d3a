// IP_ADDRESS: dotted IPv4 with octet range checks (not version strings) and IPv6 incl. `::` and embedded IPv4.
import type { PiiSpan } from './types.ts';

const IPV4 = /(?<![\w.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\w]|\.\d)/g;
/** Runs of hex digits, colons and dots containing a colon; validated by `ipv6Valid`. */
const IPV6_CANDIDATE = /(?<![\w:.])[0-9A-Fa-f:][0-9A-Fa-f:.]{1,44}(?![\w:])/g;
const VERSION_CONTEXT =
  /(?:\bv|\bversion|\bver\.?|\brelease|\bbuild|\bfirmware|\bpython|\bnode|\bchrome)\s*$/i;

function octetValid(octet: string): boolean {
  return (octet.length === 1 || octet[0] !== '0') && Number(octet) <= 255;
}

export function ipv4Valid(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && octetValid(p));
}

/** Full (8 groups), compressed (`::`) and IPv4-suffixed forms; at least two non-empty groups and a digit. */
export function ipv6Valid(candidate: string): boolean {
  let text = candidate;
  let groupsFromV4 = 0;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    if (!ipv4Valid(text.slice(lastColon + 1))) return false;
    text = `${text.slice(0, lastColon + 1)}0`;
    groupsFromV4 = 1;
  }
  if (text.includes('.')) return false;
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groupsOf = (half: string): string[] | undefined => {
    if (half === '') return [];
    const groups = half.split(':');
    return groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g)) ? groups : undefined;
  };
  const head = groupsOf(halves[0] ?? '');
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return false;
  const count = head.length + tail.length + groupsFromV4;
  if (halves.length === 1 ? count !== 8 : count > 7) return false;
  if (head.length + tail.length < 2 && groupsFromV4 === 0) return false;
  return /\d/.test(candidate);
}

export function detectIpAddresses(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  if (text.includes('.')) {
    IPV4.lastIndex = 0;
    for (let m = IPV4.exec(text); m !== null; m = IPV4.exec(text)) {
      if (!ipv4Valid(m[0])) continue;
      const version = VERSION_CONTEXT.test(text.slice(Math.max(0, m.index - 12), m.index));
      spans.push({
        type: 'IP_ADDRESS',
        start: m.index,
        end: m.index + m[0].length,
        confidence: version ? 0.3 : 0.9,
      });
    }
  }
  if (text.includes(':')) {
    IPV6_CANDIDATE.lastIndex = 0;
    for (let m = IPV6_CANDIDATE.exec(text); m !== null; m = IPV6_CANDIDATE.exec(text)) {
      let value = m[0];
      while (value.endsWith('.')) value = value.slice(0, -1);
      if (!value.includes(':') || !ipv6Valid(value)) continue;
      spans.push({ type: 'IP_ADDRESS', start: m.index, end: m.index + value.length, confidence: 0.9 });
    }
  }
  return spans;
}
