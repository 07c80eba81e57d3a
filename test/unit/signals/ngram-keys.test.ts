// Packed n-gram keys: one number per distinct short byte string, found again in the index and the reusable set.
import { describe, expect, it } from 'vitest';
import { PackedKeyIndex, PackedKeySet, packNgram, packUnits } from '../../../src/signals/ngram-keys.ts';

describe('packNgram', () => {
  it('gives distinct numbers to distinct strings, whatever their length or characters', () => {
    const ngrams = [
      '',
      ' ',
      '  ',
      'a',
      'a ',
      ' a',
      '\u0000',
      '\u0000\u0000',
      'ÿÿÿÿÿÿ',
      ' the ',
      'the',
      'eht',
    ];
    const keys = ngrams.map(packNgram);
    expect(new Set(keys).size).toBe(ngrams.length);
    expect(keys.every((key) => key !== undefined && Number.isSafeInteger(key))).toBe(true);
  });

  it('leaves out strings it cannot pack', () => {
    expect(packNgram('abcdefg')).toBeUndefined();
    expect(packNgram('ab\u0100')).toBeUndefined();
  });

  it('packs a slice of units between spaces as the string itself', () => {
    const units = Uint8Array.from('xabcdy', (c) => c.charCodeAt(0));
    expect(packUnits(units, 1, 5, true, false)).toBe(packNgram(' abcd'));
    expect(packUnits(units, 3, 6, false, true)).toBe(packNgram('cdy '));
    expect(packUnits(units, 0, 4, true, true)).toBe(packNgram(' xabc '));
  });
});

describe('PackedKeyIndex', () => {
  it('finds every key it holds and no other', () => {
    const words = Array.from({ length: 5000 }, (_, i) => i.toString(36));
    const index = new PackedKeyIndex(words.map((w, i) => [packNgram(w) as number, i]));
    words.forEach((w, i) => {
      expect(index.get(packNgram(w) as number)).toBe(i);
    });
    expect(index.get(packNgram('zzzzzz') as number)).toBe(-1);
  });
});

describe('PackedKeySet', () => {
  it('keeps each key once, in order of first addition, and starts empty after clear', () => {
    const set = new PackedKeySet(8);
    for (const key of [5, 7, 5, 9, 7]) set.add(key);
    expect([...set.added.subarray(0, set.size)]).toEqual([5, 7, 9]);
    set.clear();
    expect(set.size).toBe(0);
    set.add(9);
    expect([...set.added.subarray(0, set.size)]).toEqual([9]);
  });

  it('refuses more distinct keys than its capacity', () => {
    const set = new PackedKeySet(2);
    set.add(1);
    set.add(2);
    set.add(2);
    expect(() => set.add(3)).toThrow(RangeError);
  });
});
