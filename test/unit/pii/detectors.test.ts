// Table-driven positives and negatives for each structured PII detector, with exact spans.
import { describe, expect, it } from 'vitest';
import { ibanChecksumValid, luhnValid } from '../../../src/pii/checksums.ts';
import { detectCreditCards, knownIssuer } from '../../../src/pii/credit-card.ts';
import { detectPii, resolveOverlaps } from '../../../src/pii/detect.ts';
import { detectEmails } from '../../../src/pii/email.ts';
import { detectIbans } from '../../../src/pii/iban.ts';
import { detectIpAddresses, ipv4Valid, ipv6Valid } from '../../../src/pii/ip-address.ts';
import { detectPhoneNumbers } from '../../../src/pii/phone.ts';
import { detectSsns, ssnValid } from '../../../src/pii/ssn.ts';
import type { PiiSpan, PiiType } from '../../../src/pii/types.ts';

/** `TYPE:value` for every span at or above `min` confidence, after overlap resolution. */
function found(text: string, min = 0.5): string[] {
  return detectPii(text)
    .filter((s) => s.confidence >= min)
    .map((s) => `${s.type}:${text.slice(s.start, s.end)}`);
}

/** Asserts `text` yields exactly one span of `type`, covering `value` where it first occurs. */
function expectExact(text: string, type: PiiType, value: string): void {
  const spans = detectPii(text).filter((s) => s.confidence >= 0.5);
  const start = text.indexOf(value);
  expect(spans).toEqual([expect.objectContaining({ type, start, end: start + value.length })]);
}

describe('checksums', () => {
  it.each([
    ['4111111111111111', true],
    ['4111111111111112', false],
    ['79927398713', true],
    ['0', true],
    ['', false],
    ['12a4', false],
  ])('luhnValid(%s) = %s', (digits, valid) => expect(luhnValid(digits)).toBe(valid));

  it.each([
    ['GB82WEST12345698765432', true],
    ['GB82WEST12345698765433', false],
    ['DE89370400440532013000', true],
    ['de89370400440532013000', true],
    ['FR1420041010050500013M02606', true],
    ['NL91ABNA0417164300', true],
    ['NL91ABNA0417164301', false],
    ['1234', false],
  ])('ibanChecksumValid(%s) = %s', (iban, valid) => expect(ibanChecksumValid(iban)).toBe(valid));
});

describe('EMAIL_ADDRESS', () => {
  it.each([
    ['write to jane.doe+tag@example.co.uk today', 'jane.doe+tag@example.co.uk'],
    ['Mail: BOB_smith@Sub-Domain.Example.org.', 'BOB_smith@Sub-Domain.Example.org'],
    ["(contact o'brien@example.ie)", "o'brien@example.ie"],
    ['<a@b.io>', 'a@b.io'],
  ])('finds the address in %j', (text, value) => expectExact(text, 'EMAIL_ADDRESS', value));

  it.each([
    'meet me @ noon',
    'user@localhost',
    'twitter handle @someone.',
    'bad..dots@example.com',
    'trailing.@example.com',
    'x@-bad-.com',
    'x@example.c0m',
    'npm i @scope/pkg@1.2.3',
  ])('ignores %j', (text) => expect(detectEmails(text)).toEqual([]));

  it('finds several addresses with exact spans', () => {
    const text = 'a@x.com,b@y.org';
    expect(detectEmails(text)).toEqual([
      { type: 'EMAIL_ADDRESS', start: 0, end: 7, confidence: 1 },
      { type: 'EMAIL_ADDRESS', start: 8, end: 15, confidence: 1 },
    ]);
  });
});

describe('PHONE_NUMBER', () => {
  it.each([
    ['Call me at (415) 555-0132 please', '(415) 555-0132'],
    ['my number: 415-555-0132.', '415-555-0132'],
    ['reach me on +1 415 555 0132', '+1 415 555 0132'],
    ['+1-903-140-4508x769 is my desk', '+1-903-140-4508x769'],
    ['office 345-899-3560 ext. 45 today', '345-899-3560 ext. 45'],
    ['Tel: +44 20 7946 0958', '+44 20 7946 0958'],
    ['Desk: +41 (0)96 471 07 95', '+41 (0)96 471 07 95'],
    ['Mobile: 03.93.92.16.85', '03.93.92.16.85'],
    ['Fax: 9498777106', '9498777106'],
    ['phone: 467 3395', '467 3395'],
    ['+447700677662 mobile', '+447700677662'],
    ['ring 001-518-640-0854 now', '001-518-640-0854'],
  ])('finds the number in %j', (text, value) => expectExact(text, 'PHONE_NUMBER', value));

  it.each([
    ['a date', 'It happened on 2021-03-04 at noon'],
    ['a date with time', 'When: 2000-04-16 11:34:35'],
    ['a European date', 'Due 04.05.2023, thanks'],
    ['too few digits', 'call 55-0132'],
    ['too many digits', 'call 1234 5678 9012 3456 7'],
    ['a price with thousands', 'it costs 1.234.567 euros'],
    ['an IPv4 address', 'host 192.168.100.200 is down'],
    ['a decimal', 'pi is 3.14159265358979'],
    ['a street address', 'The shop is at 17151 2450 Crown St today'],
    ['a licence number', "my driver's license number is 2270-66-1551"],
    ['a bare order-like number without context', 'order 1234567 shipped'],
    ['a version-ish string', 'release 10.2.3-1234567'],
  ])('ignores %s', (_label, text) => expect(found(text).filter((f) => f.startsWith('PHONE'))).toEqual([]));

  it('scores context words higher', () => {
    const [plain] = detectPhoneNumbers('see 699 956 915 now');
    const [context] = detectPhoneNumbers('phone: 699 956 915');
    expect(plain?.confidence).toBeLessThan(context?.confidence ?? 0);
  });
});

describe('CREDIT_CARD', () => {
  it.each([
    ['Visa 4111111111111111 expires', '4111111111111111'],
    ['card: 4111 1111 1111 1111', '4111 1111 1111 1111'],
    ['card 5500-0000-0000-0004 ok', '5500-0000-0000-0004'],
    ['amex 3782 822463 10005', '3782 822463 10005'],
    ['Discover 6011111111111117.', '6011111111111117'],
    ['JCB 3530111333300000', '3530111333300000'],
    ['diners 30569309025904', '30569309025904'],
    ['Mastercard 2221000000000009', '2221000000000009'],
    ['a 19-digit visa 4111111111111111110', '4111111111111111110'],
  ])('finds the card in %j', (text, value) => expectExact(text, 'CREDIT_CARD', value));

  it.each([
    ['failing Luhn', 'card 4111111111111112'],
    ['mixed separators', 'card 4111 1111-1111 1111'],
    ['too short', 'card 411111111111'],
    ['too long', 'card 41111111111111111111'],
    ['inside a word', 'cardX4111111111111111'],
    ['inside a decimal', 'value 0.4111111111111111'],
  ])('ignores %s', (_label, text) =>
    expect(detectCreditCards(text).filter((s) => s.confidence >= 0.5)).toEqual([]),
  );

  it('scores a Luhn-valid number without a known issuer prefix low', () => {
    // 9 is not an issuer prefix; the number passes Luhn.
    const [span] = detectCreditCards('card 9111111111111110');
    expect(luhnValid('9111111111111110')).toBe(true);
    expect(span?.confidence).toBeLessThan(0.5);
  });

  it.each([
    ['4111111111111111', true],
    ['378282246310005', true],
    ['37828224631000', false],
    ['6304000000000000', true],
    ['9111111111111110', false],
  ])('knownIssuer(%s) = %s', (digits, known) => expect(knownIssuer(digits)).toBe(known));
});

describe('IBAN_CODE', () => {
  it.each([
    ['My IBAN is GB82WEST12345698765432.', 'GB82WEST12345698765432'],
    ['iban GB29 NWBK 6016 1331 9268 19 was flagged', 'GB29 NWBK 6016 1331 9268 19'],
    ['to DE89 3704 0044 0532 0130 00', 'DE89 3704 0044 0532 0130 00'],
    ['FR1420041010050500013M02606', 'FR1420041010050500013M02606'],
    ['lower case gb82west12345698765432 too', 'gb82west12345698765432'],
    ['NL91ABNA0417164300 then text', 'NL91ABNA0417164300'],
  ])('finds the IBAN in %j', (text, value) => expectExact(text, 'IBAN_CODE', value));

  it.each([
    ['a bad checksum', 'IBAN GB82WEST12345698765433'],
    ['a wrong length', 'IBAN GB82WEST1234569876543'],
    ['an unknown country', 'IBAN ZZ82WEST12345698765432'],
    ['glued to more characters', 'IBAN GB82WEST12345698765432X'],
  ])('ignores %s', (_label, text) => expect(detectIbans(text)).toEqual([]));
});

describe('US_SSN', () => {
  it.each([
    ["Here's my SSN: 460-89-9847", '460-89-9847'],
    ['ssn 460 89 9847', '460 89 9847'],
    ['social security number 460899847', '460899847'],
    ['id 772-05-1120 on file', '772-05-1120'],
  ])('finds the SSN in %j', (text, value) => expectExact(text, 'US_SSN', value));

  it.each([
    ['area 000', 'SSN 000-12-3456'],
    ['area 666', 'SSN 666-12-3456'],
    ['area 9xx', 'SSN 912-12-3456'],
    ['group 00', 'SSN 123-00-4567'],
    ['serial 0000', 'SSN 123-45-0000'],
    ['an advertised number', 'SSN 078-05-1120'],
    ['bare digits without context', 'order 460899847'],
    ['longer digit runs', 'SSN 1460-89-9847'],
  ])('ignores %s', (_label, text) => expect(detectSsns(text)).toEqual([]));

  it.each([
    ['000', '12', '3456', false],
    ['666', '12', '3456', false],
    ['900', '12', '3456', false],
    ['899', '12', '3456', true],
    ['123', '00', '3456', false],
    ['123', '45', '0000', false],
  ])('ssnValid(%s, %s, %s) = %s', (a, g, s, valid) => expect(ssnValid(a, g, s)).toBe(valid));
});

describe('IP_ADDRESS', () => {
  it.each([
    ['blocked address 41.173.96.26 today', '41.173.96.26'],
    ['|106.31.73.20|', '106.31.73.20'],
    ['gateway 255.255.255.0.', '255.255.255.0'],
    ['v6 2001:0db8:85a3:0000:0000:8a2e:0370:7334 up', '2001:0db8:85a3:0000:0000:8a2e:0370:7334'],
    ['v6 2001:db8::8a2e:370:7334.', '2001:db8::8a2e:370:7334'],
    ['link fe80::1:2 local', 'fe80::1:2'],
    ['mapped ::ffff:192.0.2.128 here', '::ffff:192.0.2.128'],
    ['6e40:4041:c617:e898:c11:40d2:c669:2eb4', '6e40:4041:c617:e898:c11:40d2:c669:2eb4'],
  ])('finds the address in %j', (text, value) => expectExact(text, 'IP_ADDRESS', value));

  it.each([
    ['an octet out of range', 'host 256.1.1.1'],
    ['a leading zero', 'host 01.2.3.4'],
    ['five parts', 'oid 1.2.3.4.5'],
    ['three parts', 'semver 1.2.3'],
    ['a version', 'version 1.2.3.4'],
    ['a v-prefixed version', 'v1.2.3.4'],
    ['a time', 'at 12:30:45 today'],
    ['a C++ scope', 'std::vector<int>'],
    ['too many groups', '1:2:3:4:5:6:7:8:9'],
    ['two double colons', '1::2::3'],
    ['a MAC-like run without digits', 'aa:bb:cc'],
  ])('ignores %s', (_label, text) =>
    expect(detectIpAddresses(text).filter((s) => s.confidence >= 0.5)).toEqual([]),
  );

  it.each([
    ['0.0.0.0', true],
    ['255.255.255.255', true],
    ['256.0.0.0', false],
    ['1.2.3', false],
  ])('ipv4Valid(%s) = %s', (ip, valid) => expect(ipv4Valid(ip)).toBe(valid));

  it.each([
    ['::1', false],
    ['1::', false],
    ['1::2', true],
    ['1:2:3:4:5:6:7:8', true],
    ['1:2:3:4:5:6:7', false],
    ['1:2:3:4:5:6:1.2.3.4', true],
    ['12345::1', false],
  ])('ipv6Valid(%s) = %s', (ip, valid) => expect(ipv6Valid(ip)).toBe(valid));
});

describe('detectPii', () => {
  it('finds every type in one text, in order, with exact spans', () => {
    const text =
      'Email jane@example.com, call (415) 555-0132, card 4111 1111 1111 1111, ' +
      'IBAN GB82WEST12345698765432, SSN 460-89-9847, host 10.0.0.1.';
    expect(found(text)).toEqual([
      'EMAIL_ADDRESS:jane@example.com',
      'PHONE_NUMBER:(415) 555-0132',
      'CREDIT_CARD:4111 1111 1111 1111',
      'IBAN_CODE:GB82WEST12345698765432',
      'US_SSN:460-89-9847',
      'IP_ADDRESS:10.0.0.1',
    ]);
  });

  it('prefers the more specific type when spans overlap', () => {
    expect(found('SSN 460-89-9847')).toEqual(['US_SSN:460-89-9847']);
    expect(found('card 378282246310005')).toEqual(['CREDIT_CARD:378282246310005']);
    expect(detectPii('SSN 460-89-9847', { keepOverlaps: true }).map((s) => s.type)).toContain('PHONE_NUMBER');
  });

  it('returns nothing for text without PII and for empty text', () => {
    expect(detectPii('')).toEqual([]);
    expect(detectPii('Explain the difference between TCP and UDP in 3 sentences.')).toEqual([]);
  });

  it('honours a type filter', () => {
    const text = 'jane@example.com and 10.0.0.1';
    expect(detectPii(text, { types: new Set<PiiType>(['IP_ADDRESS']) }).map((s) => s.type)).toEqual([
      'IP_ADDRESS',
    ]);
  });

  it('resolveOverlaps keeps the most confident span of a cluster and disjoint spans as they are', () => {
    const span = (type: PiiType, start: number, end: number, confidence: number): PiiSpan => ({
      type,
      start,
      end,
      confidence,
    });
    expect(
      resolveOverlaps([
        span('PHONE_NUMBER', 0, 10, 0.6),
        span('US_SSN', 2, 8, 0.9),
        span('EMAIL_ADDRESS', 20, 30, 1),
        span('PHONE_NUMBER', 7, 12, 0.5),
      ]),
    ).toEqual([span('US_SSN', 2, 8, 0.9), span('EMAIL_ADDRESS', 20, 30, 1)]);
  });
});
