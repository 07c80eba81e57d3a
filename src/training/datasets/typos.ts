// A deterministic typo generator for robustness figures: the kind of slips people make when typing fast.

import { hashString } from '../../ml/wide-mlp/features.ts';
import { seededRandom } from '../../seeded-random.ts';

/** Neighbouring keys on a QWERTY keyboard, for substitution typos. */
const NEIGHBOURS: Record<string, string> = {
  a: 'qwsz',
  b: 'vghn',
  c: 'xdfv',
  d: 'serfcx',
  e: 'wsdr',
  f: 'drtgvc',
  g: 'ftyhbv',
  h: 'gyujnb',
  i: 'ujko',
  j: 'huikmn',
  k: 'jiolm',
  l: 'kop',
  m: 'njk',
  n: 'bhjm',
  o: 'iklp',
  p: 'ol',
  q: 'wa',
  r: 'edft',
  s: 'awedxz',
  t: 'rfgy',
  u: 'yhji',
  v: 'cfgb',
  w: 'qase',
  x: 'zsdc',
  y: 'tghu',
  z: 'asx',
};

const WORD = /\p{L}{4,}/gu;

/**
 * The text with about `rate` of its words of four or more letters given one typo each (swap of two inner
 * letters, a dropped letter, a doubled letter or a neighbouring key). The same text and seed always give the
 * same result.
 */
export function withTypos(text: string, rate = 0.15, seed = 7): string {
  const random = seededRandom((hashString(text) ^ seed) >>> 0);
  return text.replace(WORD, (word) => {
    if (random() >= rate) return word;
    const at = 1 + Math.floor(random() * (word.length - 2));
    const kind = Math.floor(random() * 4);
    const c = word[at] as string;
    if (kind === 0) return word.slice(0, at) + (word[at + 1] ?? '') + c + word.slice(at + 2);
    if (kind === 1) return word.slice(0, at) + word.slice(at + 1);
    if (kind === 2) return word.slice(0, at) + c + word.slice(at);
    const options = NEIGHBOURS[c.toLowerCase()];
    if (options === undefined) return word.slice(0, at) + word.slice(at + 1);
    const typed = options[Math.floor(random() * options.length)] as string;
    return word.slice(0, at) + typed + word.slice(at + 1);
  });
}
