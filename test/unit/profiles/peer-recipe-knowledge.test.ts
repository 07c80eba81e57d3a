// The peer's knowledge recipe (../shared/vsr-config/recipes/knowledge), loaded as written: `mmlu_kb` is the
// built-in knowledge base (the recipe names it without declaring it), found in the config root's knowledge_bases/.
// Requests are written from the README's routing table: high-uplift MMLU domains escalate to the frontier lane,
// lower-uplift ones stay local, and the keyword guards correct known boundary terms.
import { describe, expect, it } from 'vitest';
import { usePeerRecipe } from '../../helpers/peer-recipe.ts';

const FRONTIER = 'cloud/frontier-72b';
const LOCAL = 'local/small-7b';

const recipe = usePeerRecipe('knowledge');

async function route(text: string) {
  const explanation = await recipe.explainText(text);
  const kb = explanation.signals.find((s) => s.family === 'kb')?.matches ?? [];
  return { explanation, kb: new Map(kb.map((m) => [m.name, m])) };
}

describe('knowledge recipe: loads as written', () => {
  it('has no errors and only warnings about signals no decision reads', () => {
    for (const warning of recipe.policy().warnings)
      expect(warning.message).toMatch(/is defined but no decision uses it/);
  });
});

describe('knowledge recipe: routing table of the README', () => {
  it.each([
    // High-uplift knowledge label → escalate_72b.
    [
      'biology',
      'Which organelle carries out photosynthesis in plant cells, and how does the Calvin cycle fix carbon?',
    ],
    ['business', 'How should a company account for depreciation of equipment on its balance sheet?'],
    [
      'computer science',
      'What is the time complexity of quicksort in the worst case, and how does a randomized pivot help?',
    ],
    [
      'economics',
      'How does an increase in the money supply affect inflation and interest rates in the short run?',
    ],
    ['history', 'What were the main causes of the French Revolution in 1789?'],
    ['math', 'Prove that the square root of 2 is irrational.'],
    [
      'philosophy',
      'What is the utilitarian argument about whether it is morally permissible to lie to save a life?',
    ],
    [
      'psychology',
      "What does classical conditioning mean in behavioral psychology, as in Pavlov's experiments?",
    ],
  ])('%s question → escalate_72b on the frontier lane', async (_domain, text) => {
    const { explanation, kb } = await route(text);
    expect(explanation.winner?.name).toBe('escalate_72b');
    expect(explanation.model?.name).toBe(FRONTIER);
    // The escalation is explained by a knowledge label, not by a keyword guard.
    expect([...kb.keys()].some((name) => name.startsWith('best_'))).toBe(true);
  });

  it.each([
    // Lower-uplift knowledge label → keep_7b.
    ['chemistry', 'Balance the chemical equation for the combustion of methane and name the products.'],
    [
      'engineering',
      'What is the maximum bending stress in a simply supported steel beam under a uniform load?',
    ],
    ['health', 'What are the recommended treatments for a patient with chronic hypertension?'],
    ['law', 'Under the Fourth Amendment, when may police search a car without a warrant?'],
    [
      'physics',
      'A ball is thrown upward at 20 m/s; how high does it rise before falling back, ignoring air resistance?',
    ],
  ])('%s question → keep_7b on the local lane', async (_domain, text) => {
    const { explanation } = await route(text);
    expect(explanation.winner?.name).toBe('keep_7b');
    expect(explanation.model?.name).toBe(LOCAL);
  });

  it('reports the escalate_vs_keep margin with the sign of the lane', async () => {
    const margin = async (text: string) =>
      Number((await route(text)).kb.get('kb_metric:mmlu_kb:escalate_vs_keep')?.detail?.split('=')[1]);
    expect(await margin('Prove that the square root of 2 is irrational.')).toBeGreaterThan(0);
    expect(
      await margin('Balance the chemical equation for the combustion of methane and name the products.'),
    ).toBeLessThan(0);
  });

  it('a boundary term the guard escalates goes to the frontier lane although its label keeps it local', async () => {
    const { explanation, kb } = await route(
      'What is the rotation matrix for a quantum spin state under a magnetic field?',
    );
    expect(kb.has('best_physics')).toBe(true);
    expect(explanation.winner?.name).toBe('escalate_72b');
    expect(explanation.model?.name).toBe(FRONTIER);
  });

  it('a boundary term the guard keeps local stays local although its label would escalate', async () => {
    const { explanation, kb } = await route(
      'In economics, how is the energy consumed by a household measured in joules?',
    );
    expect(kb.has('best_economics')).toBe(true);
    expect(explanation.winner?.name).toBe('keep_7b');
    expect(explanation.model?.name).toBe(LOCAL);
  });

  it('unmatched or empty text falls back to the local lane', async () => {
    const { explanation } = await route('   ');
    expect(explanation.model?.name).toBe(LOCAL);
  });
});
