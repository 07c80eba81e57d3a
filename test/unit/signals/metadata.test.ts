// `metadata` family: equals / in / exists over the request body's `metadata` object.
import { describe, expect, it } from 'vitest';
import { metadataFamily } from '../../../src/signals/metadata.ts';
import { contextFor } from '../../helpers/request-context.ts';
import { evaluateFamily } from '../../helpers/signal-family.ts';

function matchedNames(raw: readonly unknown[], metadata: unknown): string[] {
  const input =
    metadata === undefined ? { text: 'hi' } : { text: 'hi', metadata: metadata as Record<string, unknown> };
  return evaluateFamily(metadataFamily, raw, contextFor(input)).map((m) => m.name);
}

describe('metadata: one rule', () => {
  it.each([
    ['equals: same string', { key: 'tier', equals: 'gold' }, { tier: 'gold' }, true],
    ['equals: other string', { key: 'tier', equals: 'gold' }, { tier: 'silver' }, false],
    ['equals is case-sensitive', { key: 'tier', equals: 'gold' }, { tier: 'Gold' }, false],
    ['equals: number compared as text', { key: 'priority', equals: '1' }, { priority: 1 }, true],
    ['equals: boolean compared as text', { key: 'beta', equals: 'true' }, { beta: true }, true],
    [
      'equals: object value never equals',
      { key: 'tier', equals: '[object Object]' },
      { tier: { a: 1 } },
      false,
    ],
    ['equals: missing key', { key: 'tier', equals: 'gold' }, { other: 'gold' }, false],
    ['equals: null value', { key: 'tier', equals: 'null' }, { tier: null }, false],
    ['in: listed value', { key: 'tier', in: ['gold', 'silver'] }, { tier: 'silver' }, true],
    ['in: unlisted value', { key: 'tier', in: ['gold', 'silver'] }, { tier: 'bronze' }, false],
    ['in: array value is not a member', { key: 'tier', in: ['gold'] }, { tier: ['gold'] }, false],
    ['exists true: present', { key: 'trace_id', exists: true }, { trace_id: 'abc' }, true],
    ['exists true: empty string is present', { key: 'trace_id', exists: true }, { trace_id: '' }, true],
    ['exists true: null is absent', { key: 'trace_id', exists: true }, { trace_id: null }, false],
    ['exists true: missing', { key: 'trace_id', exists: true }, {}, false],
    ['exists false: missing', { key: 'trace_id', exists: false }, {}, true],
    ['exists false: null', { key: 'trace_id', exists: false }, { trace_id: null }, true],
    ['exists false: present', { key: 'trace_id', exists: false }, { trace_id: 'abc' }, false],
    ['exists false: no metadata in the body', { key: 'trace_id', exists: false }, undefined, true],
    ['exists true: no metadata in the body', { key: 'trace_id', exists: true }, undefined, false],
    ['metadata that is not an object counts as empty', { key: 'length', exists: true }, 'gold', false],
    ['metadata array counts as empty', { key: '0', exists: true }, ['gold'], false],
    ['inherited properties are not metadata', { key: 'toString', exists: true }, {}, false],
    [
      '__proto__ sent as a key is an ordinary key',
      { key: '__proto__', equals: 'x' },
      JSON.parse('{"__proto__":"x"}'),
      true,
    ],
    ['keys are case-sensitive', { key: 'Tier', equals: 'gold' }, { tier: 'gold' }, false],
  ])('%s', (_label, test, metadata, expected) => {
    expect(matchedNames([{ name: 'r', ...test }], metadata)).toEqual(expected ? ['r'] : []);
  });
});

describe('metadata: several rules', () => {
  it('reports every matching rule with confidence 1', () => {
    const policy = [
      { name: 'gold', key: 'tier', equals: 'gold' },
      { name: 'paid', key: 'tier', in: ['gold', 'silver'] },
      { name: 'traced', key: 'trace_id', exists: true },
      { name: 'untraced', key: 'trace_id', exists: false },
    ];
    expect(matchedNames(policy, { tier: 'gold', trace_id: 't-1' })).toEqual(['gold', 'paid', 'traced']);
    expect(matchedNames(policy, { tier: 'silver' })).toEqual(['paid', 'untraced']);
  });
});
