// A separable routing-outcome data set for trainer tests: `strong` is better at math (90 % vs 10 %), `weak` at
// history (90 % vs 60 %).
import { seededRandom } from '../../../../src/seeded-random.ts';
import type { OutcomeDataset, OutcomeRow } from '../../../../src/training/selection/outcome-datasets.ts';

const MATH = [
  'integral',
  'derivative',
  'equation',
  'matrix',
  'polynomial',
  'eigenvalue',
  'logarithm',
  'theorem',
];
const HISTORY = ['empire', 'dynasty', 'revolution', 'treaty', 'medieval', 'pharaoh', 'colonial', 'monarchy'];
const FILLER = ['what', 'is', 'the', 'of', 'a', 'explain', 'why', 'which'];

export function syntheticOutcomes(n = 600, seed = 7): OutcomeDataset {
  const random = seededRandom(seed);
  const pick = (words: readonly string[]) => words[Math.floor(random() * words.length)] as string;
  const rows: OutcomeRow[] = [];
  for (let i = 0; i < n; i++) {
    const math = random() < 0.5;
    const topic = math ? MATH : HISTORY;
    const text = `${pick(FILLER)} ${pick(topic)} ${pick(FILLER)} ${pick(topic)} ${pick(topic)} item${i}`;
    const strong = random() < (math ? 0.9 : 0.6) ? 1 : 0;
    const weak = random() < (math ? 0.1 : 0.9) ? 1 : 0;
    rows.push({
      id: String(i),
      text,
      group: math ? 'math' : 'history',
      split: i % 10 === 0 ? 'test' : i % 10 === 1 ? 'validation' : 'train',
      correct: Float32Array.of(strong, weak),
      cost: Float32Array.of(100, 10),
    });
  }
  return {
    name: 'mmlu-pro',
    profiles: ['strong', 'weak'],
    costUnit: 'output_chars',
    rows,
    splitMethod: 'i mod 10',
    files: [],
  };
}
