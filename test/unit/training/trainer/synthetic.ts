// Seeded keyword-driven 3-class sentences for trainer tests.
import { seededRandom } from '../../../../src/seeded-random.ts';

export const SYNTHETIC_LABELS = ['sports', 'cooking', 'finance'] as const;

const KEYWORDS: readonly (readonly string[])[] = [
  ['football', 'goal', 'match', 'team', 'coach', 'league', 'stadium', 'referee', 'tournament', 'striker'],
  ['recipe', 'oven', 'bake', 'flour', 'sauce', 'simmer', 'garlic', 'roast', 'dough', 'skillet'],
  ['stock', 'loan', 'bank', 'invest', 'interest', 'dividend', 'mortgage', 'portfolio', 'bonds', 'taxes'],
];

const FILLER = [
  'the',
  'a',
  'i',
  'want',
  'to',
  'know',
  'about',
  'please',
  'tell',
  'me',
  'how',
  'why',
  'is',
  'my',
  'today',
  'what',
  'should',
  'we',
  'do',
  'with',
  'this',
  'new',
  'best',
  'way',
  'for',
  'can',
  'you',
  'explain',
];

export interface SyntheticExample {
  readonly text: string;
  readonly label: number;
}

/** `count` sentences: filler words, two keywords of the class, sometimes one distractor of another class. */
export function syntheticDataset(count: number, seed: number): SyntheticExample[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const out: SyntheticExample[] = [];
  for (let i = 0; i < count; i++) {
    const label = i % 3;
    const words: string[] = [];
    const fillers = 4 + Math.floor(random() * 5);
    for (let k = 0; k < fillers; k++) words.push(pick(FILLER));
    const insert = (w: string): void => {
      words.splice(Math.floor(random() * (words.length + 1)), 0, w);
    };
    const own = KEYWORDS[label] ?? [];
    insert(pick(own));
    insert(pick(own));
    if (random() < 0.3) insert(pick(KEYWORDS[(label + 1 + Math.floor(random() * 2)) % 3] ?? []));
    out.push({ text: `${words.join(' ')}${random() < 0.5 ? '?' : '.'}`, label });
  }
  return out;
}
