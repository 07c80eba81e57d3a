// The peer's feedback-recovery recipe (../shared/vsr-config/recipes/feedback): its README's routing table, checked
// through the explain pipeline on multi-turn conversations. The policy is loaded as written (its clarification route
// carries a response_cache plugin).
import { describe, expect, it } from 'vitest';
import { loadPolicyFile } from '../../../src/policy/load-policy.ts';
import { usePeerRecipe } from '../../helpers/peer-recipe.ts';

const LOCAL = 'qwen/qwen3.5-rocm';
const SPECIALIST = 'google/gemini-3.1-pro';
const PREMIUM = 'openai/gpt5.4';

const recipe = usePeerRecipe('feedback', { signalTimeoutMs: 60_000 });

const route = recipe.explainTurns;

const ITINERARY = 'Plan a three day itinerary for Lisbon.';
const TYPE_ERROR = 'Why does my Python script raise a TypeError when I add a string and an int?';

describe('feedback recipe: README routing table', () => {
  it.each([
    [
      'clarification request: stay local',
      ['How does TCP slow start work?', 'I don’t understand, can you explain that more simply?'],
      'feedback_need_clarification',
      LOCAL,
    ],
    [
      'first general correction: specialist',
      [ITINERARY, 'That is wrong, the castle is closed on Mondays.'],
      'feedback_general_recovery',
      SPECIALIST,
    ],
    [
      'first general re-ask: specialist',
      [ITINERARY, 'plan a three day itinerary for lisbon please'],
      'feedback_general_recovery',
      SPECIALIST,
    ],
    [
      'first coding failure: specialist',
      [
        'Write a Python function to parse ISO dates.',
        'It throws a TypeError, the traceback points at strptime.',
      ],
      'feedback_code_recovery',
      SPECIALIST,
    ],
    [
      'persistent general failure: premium',
      [ITINERARY, 'plan a three day itinerary for lisbon please', 'Plan a three day itinerary for Lisbon!'],
      'feedback_persistent_recovery',
      PREMIUM,
    ],
    [
      'persistent coding failure: premium',
      [TYPE_ERROR, TYPE_ERROR.toLowerCase(), `${TYPE_ERROR}?`],
      'feedback_persistent_code_recovery',
      PREMIUM,
    ],
    [
      'wrong answer plus a verification ask: verified recovery',
      [
        'What is the maximum daily dose of acetaminophen for adults?',
        'That is wrong. Please verify this with sources.',
      ],
      'feedback_verified_recovery',
      PREMIUM,
    ],
    ['no feedback signal: local default', ['Write a haiku about autumn leaves.'], 'feedback_default', LOCAL],
    [
      'a new follow-up question is no feedback: local default',
      [ITINERARY, 'Now suggest a good restaurant for the second evening.'],
      'feedback_default',
      LOCAL,
    ],
  ])('%s', async (_row, turns, decision, model) => {
    const explanation = await route(...turns);
    expect(explanation.winner?.name).toBe(decision);
    expect(explanation.model?.name).toBe(model);
  });

  it('a re-ask reports the conversation signal the routes read, not a keyword', async () => {
    const explanation = await route(ITINERARY, 'plan a three day itinerary for lisbon please');
    const matched = explanation.signals.flatMap((s) => s.matches.map((m) => `${m.type}:${m.name}`));
    expect(matched).toContain('reask:likely_dissatisfied');
    expect(matched.some((m) => m.startsWith('keyword:'))).toBe(false);
  });

  it('the second repeat escalates from likely to persistent dissatisfaction', async () => {
    const once = await route(ITINERARY, 'plan a three day itinerary for lisbon please');
    const twice = await route(ITINERARY, 'plan a three day itinerary for lisbon please', ITINERARY);
    const reasks = (e: typeof once) =>
      e.signals.flatMap((s) => s.matches.filter((m) => m.type === 'reask').map((m) => m.name));
    expect(reasks(once)).toEqual(['likely_dissatisfied']);
    expect(reasks(twice)).toEqual(['persistently_dissatisfied']);
  });
});

describe('the recipe file as written', () => {
  it('loads without --allow-unsupported, its response_cache plugin included', async () => {
    const loaded = await loadPolicyFile(recipe.file);
    try {
      expect(loaded.warnings.map((w) => w.message).filter((m) => m.includes('response_cache'))).toEqual([]);
      const plugins = [...loaded.decisions].flatMap((d) => d.plugins.map((p) => p.type));
      expect(plugins).toContain('response_cache');
    } finally {
      loaded.close();
    }
  });
});
