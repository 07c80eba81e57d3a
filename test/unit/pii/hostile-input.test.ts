// Hostile input: exact results on dense runs (the cases bench/pii-cpu.ts times), span length bounds, and chunked
// scans that report what one scan of the whole text does.
import { describe, expect, it } from 'vitest';
import { detectCreditCards } from '../../../src/pii/credit-card.ts';
import { detectPii, PII_MAX_SPAN_CHARS, piiChunks } from '../../../src/pii/detect.ts';
import { detectEmails } from '../../../src/pii/email.ts';
import { detectIbans } from '../../../src/pii/iban.ts';
import { detectIpAddresses } from '../../../src/pii/ip-address.ts';
import { detectPhoneNumbers } from '../../../src/pii/phone.ts';
import { detectSsns } from '../../../src/pii/ssn.ts';
import type { PiiSpan } from '../../../src/pii/types.ts';

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
  let text = '';
  for (let i = 0; i < length; i++) text += alphabet[Math.floor(next() * alphabet.length)];
  return text;
}

const repeat = (unit: string, length: number) =>
  unit.repeat(Math.ceil(length / unit.length)).slice(0, length);

function values(text: string, spans: readonly PiiSpan[]): string[] {
  return spans.map((s) => `${s.type}:${text.slice(s.start, s.end)}`);
}

describe('dense hostile runs', () => {
  it.each([
    ['digits only', repeat('7', 4096)],
    ['digits and dashes', repeat('12-', 4096)],
    ['short numbers in parentheses', repeat('(1)', 4096)],
    ['digits and semicolons', repeat('1;', 4096)],
    ['digits and colons', repeat('1:', 4096)],
    ['digits and dots', repeat('1.', 4096)],
    ['plus signs', repeat('+1 ', 4096)],
    ['at signs', repeat('@', 4096)],
    ['local parts without domains', repeat('a@', 4096)],
    ['domains without a top-level label', repeat('a@a.', 4096)],
    ['colons', repeat('::', 4096)],
    ['IBAN starts', repeat('GB12', 4096)],
    ['spaced IBAN starts', repeat('GB12 ', 4096)],
    ['spaced IBAN starts of the right length', repeat('AT12 ', 4096)],
    ['lone surrogates', repeat('\uD800', 4096)],
    ['low surrogates', repeat('\uDC00', 4096)],
    ['emoji', repeat('😀👍🏽🇫🇷', 4096)],
    ['CJK text', repeat('请用三句话解释传输控制协议和用户数据报协议的区别。', 4096)],
    ['whitespace', repeat(' \t\n', 4096)],
    ['one long word', repeat('a', 4096)],
  ])('finds nothing in %s', (_label, text) => {
    expect(detectPii(text)).toEqual([]);
  });

  it('reads "1 1 1 …" as eight-digit phone-like runs, each its own low-confidence span', () => {
    const text = repeat('1 ', 4096);
    const spans = detectPii(text);
    expect(spans.length).toBe(256);
    spans.forEach((span, i) => {
      expect(span).toEqual({ type: 'PHONE_NUMBER', start: 16 * i, end: 16 * i + 15, confidence: 0.4 });
    });
  });

  it('finds every repeated phone number, card, email, SSN and IBAN', () => {
    const cases: [string, string, number][] = [
      ['call 415-555-0132 ', 'PHONE_NUMBER:415-555-0132', 1],
      ['card 4111 1111 1111 1111, ', 'CREDIT_CARD:4111 1111 1111 1111', 1],
      ['mail a.b@example.com, ', 'EMAIL_ADDRESS:a.b@example.com', 1],
      ['SSN 460-89-9847; ', 'US_SSN:460-89-9847', 1],
      ['GB82 WEST 1234 5698 7654 32, ', 'IBAN_CODE:GB82 WEST 1234 5698 7654 32', 1],
      ['a@a.aa ', 'EMAIL_ADDRESS:a@a.aa', 1],
    ];
    for (const [unit, value, perUnit] of cases) {
      const text = unit.repeat(100);
      expect(values(text, detectPii(text))).toEqual(Array(100 * perUnit).fill(value));
    }
  });

  it('reads the IBANs of a run of tokens that starts like several IBANs', () => {
    // Each `GB12`/`DE12` token starts a candidate; only the one whose length ends a token and whose checksum holds
    // is reported, and a reported IBAN hides the candidates inside it.
    const text = 'GB12 GB12 GB82 WEST 1234 5698 7654 32 DE12 NO93 8601 1117 947 x';
    expect(values(text, detectIbans(text))).toEqual([
      'IBAN_CODE:GB82 WEST 1234 5698 7654 32',
      'IBAN_CODE:NO93 8601 1117 947',
    ]);
    expect(values('gb82 West 1234 5698 7654 32', detectIbans('gb82 West 1234 5698 7654 32'))).toEqual([
      'IBAN_CODE:gb82 West 1234 5698 7654 32',
    ]);
    expect(detectIbans('gb82 West 1234 5698 7654 32')[0]?.confidence).toBe(0.6);
    expect(detectIbans(`${'GB82WEST12345698765432'.repeat(3)}`)).toEqual([]);
    expect(detectIbans(`x GB82WEST12345698765432${'1'.repeat(5000)}`)).toEqual([]);
  });

  it('keeps an extension after a short number from starting the next number', () => {
    // `555 ext 12` is no phone, but its extension digits are consumed, so the number found is `345 6789`.
    expect(values('555 ext 12 345 6789', detectPhoneNumbers('555 ext 12 345 6789'))).toEqual([
      'PHONE_NUMBER:345 6789',
    ]);
    expect(values('1 x 12345 678901234', detectPhoneNumbers('1 x 12345 678901234'))).toEqual([
      'PHONE_NUMBER:678901234',
    ]);
  });

  it('leaves a card hidden in a longer run of groups unreported', () => {
    expect(detectCreditCards('1 4111 1111 1111 1111')).toEqual([]);
    expect(detectCreditCards('4111 1111 1111 1111 4111 1111 1111 1111')).toEqual([]);
    expect(values('7 4111 1111 1111 1111', detectCreditCards('7, 4111 1111 1111 1111'))).toHaveLength(1);
  });

  it('ignores an @ whose local part or domain cannot hold an address, and very long local parts', () => {
    expect(detectEmails(`${'a'.repeat(66)}@example.com`)).toEqual([]);
    expect(
      values(`x ${'a'.repeat(65)}@example.com`, detectEmails(`x ${'a'.repeat(65)}@example.com`)),
    ).toHaveLength(1);
    expect(detectEmails('a.@example.com @example.com a@.com a@example.c')).toEqual([]);
  });

  it('finds IPv6 addresses only at the start of a run of hex digits, colons and dots', () => {
    expect(values('x fe80::1:2 y', detectIpAddresses('x fe80::1:2 y'))).toEqual(['IP_ADDRESS:fe80::1:2']);
    expect(detectIpAddresses('gfe80::1:2')).toEqual([]);
    expect(detectIpAddresses(`${'a:'.repeat(2000)}`)).toEqual([]);
    // The embedded IPv4 address is a candidate of its own; detectPii keeps the longer span.
    expect(values('::ffff:192.0.2.128.', detectIpAddresses('::ffff:192.0.2.128.'))).toEqual([
      'IP_ADDRESS:192.0.2.128',
      'IP_ADDRESS:::ffff:192.0.2.128',
    ]);
    expect(values('::ffff:192.0.2.128.', detectPii('::ffff:192.0.2.128.'))).toEqual([
      'IP_ADDRESS:::ffff:192.0.2.128',
    ]);
  });

  it('finds SSNs next to runs of digits only where the run ends', () => {
    expect(detectSsns(`SSN ${'4'.repeat(30)} 460-89-9847`).map((s) => s.start)).toEqual([35]);
  });
});

describe('PII_MAX_SPAN_CHARS', () => {
  const texts: [string, string][] = [
    ['random PII characters', randomText('abcdefXYZ0123456789 .-:@+()x\n', 50_000, 1)],
    ['random digits and separators', randomText('0123456789 .-', 50_000, 2)],
    ['hex and colons', randomText('0123456789abcdef:.', 50_000, 3)],
    ['email characters', randomText('ab.-@c1', 50_000, 4)],
    ['long domains', `a@${'b'.repeat(300)}.com x@${`${'c'.repeat(60)}.`.repeat(5)}org`],
    ['long local parts', `${'d'.repeat(65)}@example.com`],
    [
      'long numbers',
      `+44 (0) (12345) ${'123456789012345 '.repeat(8)}ext. 123456 and 4111${'-1111'.repeat(20)}`,
    ],
    ['long IBANs', 'LC55 HEMM 0001 0001 0012 0012 0002 3015 and MT84MALT011000012345MTLCAST001S'],
  ];

  it('is twice the widest detector reach', () => {
    expect(PII_MAX_SPAN_CHARS).toBe(762);
  });

  it.each(texts)('bounds every span in %s', (_label, text) => {
    for (const span of detectPii(text, { keepOverlaps: true })) {
      expect(span.end - span.start).toBeLessThanOrEqual(PII_MAX_SPAN_CHARS / 2);
      expect(span.end).toBeGreaterThan(span.start);
    }
  });
});

describe('piiChunks', () => {
  it('tiles the text with owned parts at least half an overlap inside each window', () => {
    for (const length of [0, 1, 4096, 4097, 10_000, 100_000]) {
      const chunks = piiChunks(length, 4096);
      let owned = 0;
      for (const [i, chunk] of chunks.entries()) {
        expect(chunk.ownStart).toBe(owned);
        expect(chunk.end - chunk.start).toBeLessThanOrEqual(4096);
        if (i > 0) expect(chunk.ownStart - chunk.start).toBe(PII_MAX_SPAN_CHARS / 2);
        if (i < chunks.length - 1) expect(chunk.end - chunk.ownEnd).toBe(PII_MAX_SPAN_CHARS / 2);
        if (i > 0)
          expect((chunks[i - 1] as (typeof chunks)[number]).end - chunk.start).toBe(PII_MAX_SPAN_CHARS);
        owned = chunk.ownEnd;
      }
      expect(owned).toBe(length);
    }
  });

  it('rejects windows no wider than the overlap', () => {
    expect(() => piiChunks(10_000, PII_MAX_SPAN_CHARS)).toThrow(RangeError);
  });
});

describe('detecting in overlapping chunks', () => {
  const WORDS =
    'the a of to and in is for on with please call my card send was at by from it this that'.split(' ');
  const CONTEXT = ['call ', 'phone: ', 'card ', 'SSN ', 'IBAN ', 'mail ', 'host ', 'account ', '', '', ''];

  function piiItem(next: () => number): string {
    const n = (max: number) => Math.floor(next() * max);
    const d = (length: number) => Array.from({ length }, () => n(10)).join('');
    const items = [
      () => `jane.doe${n(100)}@example${n(10)}.com`,
      () => `(415) 555-${d(4)}`,
      () => `+44 20 7946 ${d(4)}`,
      () => `${d(3)}-${d(3)}-${d(4)}`,
      () => '4111 1111 1111 1111',
      () => '5500-0000-0000-0004',
      () => '378282246310005',
      () => 'GB82 WEST 1234 5698 7654 32',
      () => 'DE89370400440532013000',
      () => '460-89-9847',
      () => `10.${n(256)}.${n(256)}.${n(256)}`,
      () => '2001:db8::8a2e:370:7334',
      () => `fe80::${n(10)}:${n(10)}`,
    ];
    return (items[n(items.length)] as () => string)();
  }

  /**
   * Prose with PII items laid across every window edge and owned-part boundary of 4096-character chunks: one cut
   * in half by the border, others starting up to 40 characters before or after it.
   */
  function generate(seed: number, length: number): string {
    const next = random(seed);
    const borders = piiChunks(length, 4096).flatMap((c) => [c.start, c.end, c.ownEnd]);
    let text = '';
    const fill = (to: number) => {
      while (text.length < to - 12) text += `${WORDS[Math.floor(next() * WORDS.length)]} `;
      text = text.padEnd(to);
    };
    for (const border of [...new Set(borders)].filter((b) => b > 100).sort((a, b) => a - b)) {
      const pii = piiItem(next);
      fill(border - Math.floor(pii.length / 2) - 1);
      text += ` ${pii} `;
      for (let k = 0; k < 2; k++) {
        const item = `${CONTEXT[Math.floor(next() * CONTEXT.length)]}${piiItem(next)}`;
        fill(text.length + Math.floor(next() * 40));
        text += `${item}${next() < 0.5 ? ', ' : ' '}`;
      }
    }
    fill(length);
    return text.slice(0, length);
  }

  function detectChunked(text: string): PiiSpan[] {
    const byPosition = new Map<string, PiiSpan>();
    for (const chunk of piiChunks(text.length, 4096)) {
      for (const span of detectPii(text.slice(chunk.start, chunk.end))) {
        const start = chunk.start + span.start;
        if (start < chunk.ownStart || start >= chunk.ownEnd) continue;
        const shifted = { ...span, start, end: chunk.start + span.end };
        byPosition.set(`${shifted.start}:${shifted.end}`, shifted);
      }
    }
    return [...byPosition.values()].sort((a, b) => a.start - b.start);
  }

  it.each([1, 2, 3, 4])('reports the same spans as one scan (seed %i)', (seed) => {
    const text = generate(seed, 40_000);
    const whole = detectPii(text);
    expect(detectChunked(text)).toEqual(whole);
    // The PII really does straddle window edges, so the overlap is what makes the scans agree.
    const edges = piiChunks(text.length, 4096)
      .slice(1)
      .map((c) => c.start);
    expect(whole.some((s) => edges.some((edge) => s.start < edge && edge < s.end))).toBe(true);
    expect(new Set(whole.map((s) => s.type)).size).toBe(6);
  });
});
