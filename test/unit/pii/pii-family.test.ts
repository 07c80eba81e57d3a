// The `pii` signal family: allowed types, type filter, threshold, include_history and value-free details.
import { describe, expect, it } from 'vitest';
import { piiFamily } from '../../../src/signals/pii.ts';
import { RuleConfigError } from '../../../src/signals/signal-family.ts';
import { contextFor } from '../../helpers/request-context.ts';
import { evaluateFamily, TEST_SIGNAL_DEPS } from '../../helpers/signal-family.ts';
import { evaluate } from './pii-helpers.ts';

const EMAIL = 'jane@example.com';
const CARD = '4111 1111 1111 1111';
const SSN = '460-89-9847';

describe('pii family', () => {
  it('is registered under `pii` with condition type `pii`', async () => {
    expect(piiFamily.family).toBe('pii');
    expect(piiFamily.conditionType).toBe('pii');
  });

  it('applies the v0.3 defaults', async () => {
    expect(piiFamily.ruleSchema.parse({ name: 'p' })).toEqual({
      name: 'p',
      threshold: 0.5,
      pii_types_allowed: [],
      include_history: false,
    });
  });

  it.each([
    [{ name: 'p', threshold: 1.5 }],
    [{ name: 'p', threshold: -0.1 }],
    [{ name: 'p', unknown: true }],
    [{ name: '' }],
    [{ name: 'p', pii_types: [] }],
    [{ name: 'p', pii_types_allowed: 'EMAIL_ADDRESS' }],
  ])('rejects invalid rule %j', (raw) => expect(piiFamily.ruleSchema.safeParse(raw).success).toBe(false));

  it('matches any detected type by default, with the highest confidence and a detail of types and counts', async () => {
    const context = contextFor(`mail ${EMAIL} or other@example.org, card ${CARD}`);
    const [match, ...rest] = await evaluate([{ name: 'any_pii' }], context);
    expect(rest).toEqual([]);
    expect(match?.name).toBe('any_pii');
    expect(match?.confidence).toBe(1);
    expect(match?.detail).toBe('EMAIL_ADDRESS×2,CREDIT_CARD×1');
  });

  it('never puts values in the detail', async () => {
    const text = `mail ${EMAIL}, card ${CARD}, ssn ${SSN}, ip 10.1.2.3, phone (415) 555-0132`;
    const [match] = await evaluate([{ name: 'p' }], contextFor(text));
    const detail = match?.detail ?? '';
    expect(detail).toBe('EMAIL_ADDRESS×1,CREDIT_CARD×1,US_SSN×1,IP_ADDRESS×1,PHONE_NUMBER×1');
    for (const value of [EMAIL, CARD, SSN, '10.1.2.3', '555-0132', 'jane', '4111'])
      expect(detail).not.toContain(value);
  });

  it('does not match text without PII', async () => {
    expect(
      await evaluate([{ name: 'p' }], contextFor('How do I compute the derivative of x squared?')),
    ).toEqual([]);
  });

  it('ignores allowed types (case-insensitive) and still matches the others', async () => {
    const rules = [
      { name: 'no_email', pii_types_allowed: ['email_address'] },
      { name: 'all_allowed', pii_types_allowed: ['EMAIL_ADDRESS', 'CREDIT_CARD'] },
    ];
    const matches = await evaluate(rules, contextFor(`${EMAIL} card ${CARD}`));
    expect(matches).toEqual([{ name: 'no_email', confidence: 1, detail: 'CREDIT_CARD×1' }]);
  });

  it('restricts to pii_types when given', async () => {
    const rules = [
      { name: 'cards', pii_types: ['CREDIT_CARD'] },
      { name: 'ssn', pii_types: ['US_SSN'] },
    ];
    const matches = await evaluate(rules, contextFor(`card ${CARD}`));
    expect(matches.map((m) => m.name)).toEqual(['cards']);
  });

  it('rejects pii_types neither this router nor Presidio names', async () => {
    const rule = piiFamily.ruleSchema.parse({ name: 'p', pii_types: ['SHOE_SIZE'] });
    expect(() => piiFamily.create([rule], TEST_SIGNAL_DEPS)).toThrow(RuleConfigError);
  });

  it('accepts allowed types it does not detect (v0.3 policies list PERSON and others)', async () => {
    const matches = evaluateFamily(
      piiFamily,
      [{ name: 'p', pii_types_allowed: ['PERSON', 'STREET_ADDRESS', 'GPE'] }],
      contextFor(`ssn ${SSN}`),
    );
    expect(matches.map((m) => m.name)).toEqual(['p']);
  });

  it('compares entity confidence with the threshold', async () => {
    // A dashed SSN without a context word scores 0.75; with "SSN" next to it, 1.
    const plain = contextFor(`number ${SSN}`);
    const rules = [
      { name: 'low', threshold: 0.7 },
      { name: 'high', threshold: 0.9 },
    ];
    expect(await evaluate(rules, plain)).toEqual([{ name: 'low', confidence: 0.75, detail: 'US_SSN×1' }]);
    expect((await evaluate(rules, contextFor(`SSN ${SSN}`))).map((m) => m.name)).toEqual(['low', 'high']);
  });

  it('threshold 0 admits low-confidence detections', async () => {
    const context = contextFor('see 1234567890 later');
    expect(await evaluate([{ name: 'p' }], context)).toEqual([]);
    expect(await evaluate([{ name: 'p', threshold: 0 }], context)).toEqual([
      { name: 'p', confidence: expect.any(Number), detail: 'PHONE_NUMBER×1' },
    ]);
  });

  it('scans only the last user message unless include_history is set', async () => {
    const context = contextFor({
      messages: [
        { role: 'user', content: `my card is ${CARD}` },
        { role: 'assistant', content: `noted: ${EMAIL}` },
        { role: 'user', content: 'what did I just tell you?' },
      ],
    });
    const rules = [{ name: 'last_only' }, { name: 'history', include_history: true }];
    expect(await evaluate(rules, context)).toEqual([
      { name: 'history', confidence: 1, detail: 'CREDIT_CARD×1,EMAIL_ADDRESS×1' },
    ]);
  });

  it('with include_history reads everything the request sends upstream, every role and tool text', async () => {
    const context = contextFor({
      messages: [
        { role: 'system', content: `support mailbox ${EMAIL}` },
        { role: 'assistant', content: `card ${CARD}` },
        { role: 'user', content: 'hello' },
      ],
    });
    expect(await evaluate([{ name: 'p', include_history: true }], context)).toEqual([
      { name: 'p', confidence: 1, detail: 'EMAIL_ADDRESS×1,CREDIT_CARD×1' },
    ]);
  });

  it('roles narrow what include_history reads', async () => {
    const context = contextFor({
      messages: [
        { role: 'system', content: `support mailbox ${EMAIL}` },
        { role: 'assistant', content: `card ${CARD}` },
        { role: 'user', content: 'hello' },
      ],
    });
    expect(await evaluate([{ name: 'p', include_history: true, roles: ['user', 'tool'] }], context)).toEqual(
      [],
    );
    expect(await evaluate([{ name: 'p', include_history: true, roles: ['assistant'] }], context)).toEqual([
      { name: 'p', confidence: 1, detail: 'CREDIT_CARD×1' },
    ]);
  });

  it('reads a message whole: PII in the middle of 200,000 characters, and across a chunk border', async () => {
    const filler = 'The quarterly report covers revenue, costs and the outlook for next year. ';
    const middle = `${filler.repeat(1400)}SSN ${SSN} ${filler.repeat(1400)}`;
    expect(await evaluate([{ name: 'p' }], contextFor(middle))).toEqual([
      { name: 'p', confidence: 1, detail: 'US_SSN×1' },
    ]);
    // 16K characters per chunk: put the card across the first border.
    const border = `${'x '.repeat(8185)}card ${CARD} ok ${'y '.repeat(9000)}`;
    expect(await evaluate([{ name: 'p' }], contextFor(border))).toEqual([
      { name: 'p', confidence: 1, detail: 'CREDIT_CARD×1' },
    ]);
  });
});
