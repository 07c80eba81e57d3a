// The peer's accuracy recipe (../shared/vsr-config/recipes/accuracy) loads as written, looper integration included,
// and routes as its README's table says: workflows for explicit planning, one long-context worker for long inputs,
// fusion for adversarial review, one direct worker otherwise. Explain plans the looper decisions without calling a
// model: the route shows the looper and its final model.
import { describe, expect, it } from 'vitest';
import { usePeerRecipe } from '../../helpers/peer-recipe.ts';

const recipe = usePeerRecipe('accuracy');

const route = (text: string) => recipe.explainText(text);

const LONG_DOCUMENT = 'The quarterly report lists revenue, costs and staffing for each region. '.repeat(1200);

describe('accuracy recipe', () => {
  it("loads without errors or looper warnings, with the peer's looper endpoint and timeout", () => {
    expect(recipe.policy().warnings.filter((w) => w.message.includes('looper'))).toEqual([]);
    expect(recipe.policy().looper).toMatchObject({
      endpoint: 'http://vllm-sr-envoy-container:8899/v1/chat/completions',
      timeoutMs: 300_000,
    });
  });

  it.each([
    [
      'Please investigate and produce an implementation plan for moving our cache to Redis.',
      'accuracy_workflow',
      'workflows',
      'qwen-coordinator',
    ],
    [
      `investigate and produce an implementation plan from this document: ${LONG_DOCUMENT}`,
      'accuracy_workflow',
      'workflows',
      'qwen-coordinator',
    ],
    [`Summarise this document: ${LONG_DOCUMENT}`, 'accuracy_long_context_direct', 'static', 'gpt55-worker'],
    [
      'Compare competing hypotheses for why the deploy failed and reach a verdict.',
      'accuracy_deliberation',
      'fusion',
      'qwen-coordinator',
    ],
    [
      'Compare competing hypotheses for the outage, but answer the question directly.',
      'accuracy_direct',
      'static',
      'gpt55-worker',
    ],
    ['What is the capital of France?', 'accuracy_direct', 'static', 'gpt55-worker'],
  ])('%s → %s (%s, %s)', async (text, decision, algorithm, model) => {
    const explanation = await route(text);
    expect(explanation.winner?.name).toBe(decision);
    expect(explanation.selection?.algorithm).toBe(algorithm);
    expect(explanation.model?.name).toBe(model);
  });

  it('explain names the looper, its final model and the candidates it would call', async () => {
    const explanation = await route('Please debate both sides of tabs versus spaces.');
    expect(explanation.selection?.reason).toBe('planned only, no model called: routed to qwen-coordinator');
    expect(explanation.selection?.candidates.map((c) => c.model)).toEqual([
      'opus48-worker',
      'gemini31-worker',
      'gpt55-worker',
      'qwen-coordinator',
    ]);
  });
});
