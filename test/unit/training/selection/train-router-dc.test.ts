// The RouterDC trainer: a model's vector moves toward the queries it answers right and away from those it gets
// wrong, and training is reproducible.
import { describe, expect, it } from 'vitest';
import { routerDcModel } from '../../../../src/selection/router-dc/router-dc-model.ts';
import type { SplitName } from '../../../../src/training/datasets/split.ts';
import type { OutcomeDataset, OutcomeRow } from '../../../../src/training/selection/outcome-datasets.ts';
import { embedRows, trainRouterDc } from '../../../../src/training/selection/train-router-dc.ts';

const BIOLOGY = [
  'How do chloroplasts capture light during photosynthesis?',
  'What is the role of mitochondria in cellular respiration?',
  'Explain how DNA replication works in eukaryotic cells.',
  'Which enzymes break down starch in the human digestive system?',
  'How do white blood cells fight a bacterial infection?',
  'What happens during meiosis in plant reproduction?',
];
const LAW = [
  'Is a verbal agreement a binding contract under common law?',
  'Can a tenant sue the landlord for breach of the lease?',
  'What must a plaintiff prove in a negligence tort claim?',
  'When is a defendant entitled to a jury trial?',
  'How does the statute of limitations apply to fraud claims?',
  'What is the difference between a felony and a misdemeanor?',
];

/** Profile 0 answers biology right and law wrong; profile 1 the opposite. Every third row is validation. */
function topicDataset(): OutcomeDataset {
  const row = (text: string, i: number, biology: boolean): OutcomeRow => ({
    id: `${biology ? 'b' : 'l'}${i}`,
    text,
    group: biology ? 'biology' : 'law',
    split: (i % 3 === 2 ? 'validation' : 'train') as SplitName,
    correct: Float32Array.from(biology ? [1, 0] : [0, 1]),
    cost: Float32Array.from([1, 1]),
  });
  return {
    name: 'mmlu-pro',
    profiles: ['bio-expert', 'law-expert'],
    costUnit: 'output_chars',
    rows: [...BIOLOGY.map((t, i) => row(t, i, true)), ...LAW.map((t, i) => row(t, i, false))],
    splitMethod: 'test',
    files: [],
  };
}

const options = { temperature: 0.2, epochs: [5, 20], learningRates: [0.05], seed: 7 };

describe('trainRouterDc', () => {
  it('pulls each model toward the prompts it answers right', async () => {
    const result = await trainRouterDc(topicDataset(), options);
    expect(result.validationLoss).toBeLessThan(result.initialValidationLoss);
    const model = routerDcModel(result.file, 'memory');
    const [biologyQuery, lawQuery] = await embedRows([
      { ...topicDataset().rows[0], text: 'How do plant cells turn sunlight into sugar?' } as OutcomeRow,
      { ...topicDataset().rows[0], text: 'Who is liable when a contract is broken?' } as OutcomeRow,
    ]);
    const onBiology = model.similarities(biologyQuery as Float32Array);
    const onLaw = model.similarities(lawQuery as Float32Array);
    expect(onBiology[0]).toBeGreaterThan(onBiology[1] as number);
    expect(onLaw[1]).toBeGreaterThan(onLaw[0] as number);
  });

  it('writes the same vectors for the same seed', async () => {
    const a = await trainRouterDc(topicDataset(), options);
    const b = await trainRouterDc(topicDataset(), options);
    expect(JSON.stringify(a.file)).toBe(JSON.stringify(b.file));
  });
});
