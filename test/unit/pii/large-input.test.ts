// Megabyte inputs complete (linear-time detectors, no catastrophic backtracking); timing is not asserted.
import { describe, expect, it } from 'vitest';
import { detectPii } from '../../../src/pii/detect.ts';

const MB = 1024 * 1024;

/** Deterministic pseudo-random generator (mulberry32) so failures reproduce. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomText(alphabet: string, length: number, seed: number): string {
  const next = random(seed);
  const chars: string[] = new Array(length);
  for (let i = 0; i < length; i++) chars[i] = alphabet[Math.floor(next() * alphabet.length)] as string;
  return chars.join('');
}

describe('detectPii on 1 MB inputs', () => {
  it.each([
    ['random printable text', () => randomText('abcdefXYZ0123456789 .-:@+()x\n', MB, 1)],
    ['random digits and separators', () => randomText('0123456789 .-', MB, 2)],
    ['one run of digits', () => '7'.repeat(MB)],
    ['digits separated by single spaces', () => '1 '.repeat(MB / 2)],
    ['digits separated by dashes', () => '12-'.repeat(MB / 3)],
    ['a local part with no domain', () => `x@ ${'a'.repeat(MB)}`],
    ['many at signs', () => 'a@'.repeat(MB / 2)],
    ['hex and colons', () => randomText('0123456789abcdef:.', MB, 3)],
    ['letters then digits (IBAN starts)', () => 'GB12'.repeat(MB / 4)],
    ['phone-like numbers', () => 'call 415-555-0132 '.repeat(MB / 18)],
  ])('completes on %s', (_label, make) => {
    const spans = detectPii(make());
    expect(Array.isArray(spans)).toBe(true);
    for (const span of spans) expect(span.end).toBeGreaterThan(span.start);
  });
});
