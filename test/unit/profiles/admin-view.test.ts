// GET /policy (admin) shows routing profiles without the text of their system prompts, like top-level decisions.
import { describe, expect, it } from 'vitest';
import { policyView } from '../../../src/admin/policy-view.ts';
import { createRequestRouter } from '../../../src/pipeline.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';

const PROMPT = 'You are the vault assistant; the escrow code is 4417.';

const POLICY = `version: v1
default_model: small
pools: [{ name: p, max_context_tokens: 32K }]
models: [{ name: small, pools: [p] }]
entrypoints: [{ model_names: [acme/vault], recipe: vault }]
recipes:
  - name: vault
    routing:
      decisions:
        - name: everything
          modelRefs: [{ model: small }]
          plugins: [{ type: system_prompt, configuration: { system_prompt: "${PROMPT}", mode: insert } }]
`;

interface RecipeView {
  readonly routing: {
    readonly decisions: { readonly plugins: { configuration: Record<string, unknown> }[] }[];
  };
}

describe('the admin policy view of a profile', () => {
  it.each([
    [false, `[HIDDEN: ${PROMPT.length} chars]`],
    [true, PROMPT],
  ])('showPrompts %s', async (showPrompts, expected) => {
    const policy = await compilePolicyText(POLICY, 'policy.yaml');
    try {
      const live = { generation: 1, policy, loadedAt: new Date(0), router: createRequestRouter(policy) };
      const view = policyView({ live, reloadError: undefined }, { showPrompts });
      const recipes = (view.policy as { recipes: RecipeView[] }).recipes;
      expect(recipes[0]?.routing.decisions[0]?.plugins[0]?.configuration.system_prompt).toBe(expected);
      if (!showPrompts) expect(JSON.stringify(view)).not.toContain('4417');
    } finally {
      policy.close();
    }
  });
});
