// Names and addresses found by the entity model count as personal data only with contextual evidence.
import { describe, expect, it } from 'vitest';
import { BARE_ENTITY_FACTOR, weighEntityEvidence } from '../../../src/pii/entity-evidence.ts';
import type { PiiSpan, PiiType } from '../../../src/pii/types.ts';

/** A span over the first occurrence of `value` in `text`, scored 0.8 as the tagger might. */
function spanOf(text: string, value: string, type: PiiType, confidence = 0.8): PiiSpan {
  const start = text.indexOf(value);
  if (start < 0) throw new Error(`${value} not in text`);
  return { type, start, end: start + value.length, confidence };
}

function personConfidence(text: string, name: string, others: (t: string) => PiiSpan[] = () => []): number {
  const spans = [spanOf(text, name, 'PERSON'), ...others(text)];
  const weighed = weighEntityEvidence(text, spans);
  return (weighed.find((s) => s.type === 'PERSON') as PiiSpan).confidence;
}

const BARE = 0.8 * BARE_ENTITY_FACTOR;
const WITH_EVIDENCE = 0.5 + 0.8 / 2;

describe('weighEntityEvidence', () => {
  it.each([
    ['Sam bought 3 apples and gave 2 to Maria. How many are left?', 'Sam'],
    ['Who is Larry Page?', 'Larry Page'],
    ['In Hamlet, Ophelia drowns. Why does Gertrude describe it so calmly?', 'Ophelia'],
    ['Zoolander is a 2001 comedy film directed by Ben Stiller.', 'Ben Stiller'],
    ['Damn, Matt Hardy put on one hell in a cell match!', 'Matt Hardy'],
    ['Mr. Blake put $1,810.50 in his checking account. What is the balance after 2 years?', 'Blake'],
    ['However, try to avoid holding your sale during holiday week-ends.', 'However'],
  ])('keeps a bare name below 0.5: %s', (text, name) => {
    expect(personConfidence(text, name)).toBeCloseTo(BARE);
  });

  it.each([
    ['My name is Maria Gonzalez and I need help with my visa.', 'Maria Gonzalez'],
    ['Please follow up with Jan Jílek in a couple of months.', 'Jílek'],
    ["Will my account stay active? It's under my partner's name Nicole Mahler", 'Nicole Mahler'],
    ['Leif, can I please speak to your boss?', 'Leif'],
    ["Marcus Nguyen's passport number was visible in the export.", 'Marcus Nguyen'],
    ['Thanks,\nAna Ruiz', 'Ana Ruiz'],
    ['Bank account 8721938475 registered under Chloe Mandel appeared twice.', 'Chloe Mandel'],
  ])('raises a name with evidence halfway to 1: %s', (text, name) => {
    expect(personConfidence(text, name)).toBeCloseTo(WITH_EVIDENCE);
  });

  it('takes a validated email in the same text as evidence for a name', () => {
    const text = 'Forward this to Dana Scully, dana.scully@example.org, today.';
    const email = (t: string) => [spanOf(t, 'dana.scully@example.org', 'EMAIL_ADDRESS', 1)];
    expect(personConfidence(text, 'Dana Scully', email)).toBeCloseTo(WITH_EVIDENCE);
    expect(personConfidence('Forward this to Dana Scully today.', 'Dana Scully')).toBeCloseTo(BARE);
  });

  it('counts an address with a number and a street word, or after an address cue, and nothing else', () => {
    const weigh = (text: string, value: string) =>
      (weighEntityEvidence(text, [spanOf(text, value, 'STREET_ADDRESS')])[0] as PiiSpan).confidence;
    expect(weigh('Ship it to 221B Baker Street, London.', '221B Baker Street')).toBeCloseTo(WITH_EVIDENCE);
    expect(weigh('I live at Rosenweg, near the park.', 'Rosenweg')).toBeCloseTo(WITH_EVIDENCE);
    expect(weigh('On July 7, Magee Data stock sold at a high of 23.', 'Magee Data')).toBeCloseTo(BARE);
  });

  it('leaves validator spans alone', () => {
    const text = 'Card 4111 1111 1111 1111';
    const card = spanOf(text, '4111 1111 1111 1111', 'CREDIT_CARD', 1);
    expect(weighEntityEvidence(text, [card])).toEqual([card]);
  });
});
