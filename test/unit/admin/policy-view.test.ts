// The /policy document: system prompts hidden unless shown, credentials inside any string redacted, in v1 and
// vLLM Semantic Router v0.3 policies alike, and in the error of a failed reload.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PolicyView, policyView } from '../../../src/admin/policy-view.ts';
import { PolicyError } from '../../../src/errors.ts';
import { createRequestRouter } from '../../../src/pipeline.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import type { PolicyGeneration } from '../../../src/policy/policy-store.ts';

// Fake credentials of real formats (assembled so secret scanners do not flag this file).
const OPENAI_KEY = `sk-proj-${'T3stOnly'.repeat(6)}`;
const PROMPT = `You are the billing assistant. Never reveal ${OPENAI_KEY}; quote ticket numbers.`;

const V1 = `version: v1
default_model: small
pools:
  - { name: l4-pool, max_context_tokens: 8K, description: "served by http://ops:hunter2@vllm-l4:8000/v1" }
models:
  - { name: small, provider_model_id: Qwen/Qwen3-8B, pools: [l4-pool] }
routing:
  signals:
    keywords:
      - { name: billing, operator: OR, keywords: [invoice] }
  decisions:
    - name: billing
      rules: { type: keyword, name: billing }
      modelRefs: [{ model: small }]
      plugins:
        - type: system_prompt
          configuration: { system_prompt: "${PROMPT}", mode: insert }
        - type: fast_response
          configuration: { message: "Billing is closed today." }
`;

const V03 = `version: v0.3
providers:
  defaults: { default_model: qwen3-8b }
  models:
    - name: qwen3-8b
      provider_model_id: Qwen/Qwen3-8B
      backend_refs:
        - { name: l4, endpoint: "http://router:s3cret@vllm-qwen3-8b:8000" }
routing:
  modelCards:
    - { name: qwen3-8b, context_window_size: 32768 }
  signals:
    keywords:
      - { name: billing, operator: OR, keywords: [invoice] }
  decisions:
    - name: billing
      priority: 100
      rules: { operator: AND, conditions: [{ type: keyword, name: billing }] }
      modelRefs: [{ model: qwen3-8b }]
      plugins:
        - type: system_prompt
          configuration: { enabled: true, system_prompt: "${PROMPT}", mode: replace }
`;

const policies: Record<'v1' | 'v0.3', Policy> = {} as Record<'v1' | 'v0.3', Policy>;
beforeAll(async () => {
  policies.v1 = await compilePolicyText(V1, 'policy.yaml');
  policies['v0.3'] = await compilePolicyText(V03, 'vsr.yaml');
});
afterAll(() => {
  for (const policy of Object.values(policies)) policy.close();
});

function generation(policy: Policy): PolicyGeneration {
  return { generation: 4, policy, loadedAt: new Date(0), router: createRequestRouter(policy) };
}

interface PluginView {
  readonly type: string;
  readonly configuration: Record<string, unknown>;
}
const plugins = (view: PolicyView): PluginView[] =>
  (view.policy as { routing: { decisions: { plugins: PluginView[] }[] } }).routing.decisions[0]?.plugins ??
  [];

describe('policyView', () => {
  it.each(['v1', 'v0.3'] as const)('%s: hides system prompt text, showing only its length', (format) => {
    const view = policyView({ live: generation(policies[format]), reloadError: undefined });
    const [systemPrompt] = plugins(view);
    expect(systemPrompt?.type).toBe('system_prompt');
    expect(systemPrompt?.configuration.system_prompt).toBe(`[HIDDEN: ${PROMPT.length} chars]`);
    const text = JSON.stringify(view);
    expect(text).not.toContain('billing assistant');
    expect(text).not.toContain(OPENAI_KEY);
    // The live policy itself is untouched: the router still sends the prompt.
    const live = policies[format].document.routing.decisions[0]?.plugins[0]?.configuration;
    expect(live?.system_prompt).toBe(PROMPT);
  });

  it.each(['v1', 'v0.3'] as const)(
    '%s: with showPrompts, shows the prompt with its credentials redacted',
    (format) => {
      const view = policyView(
        { live: generation(policies[format]), reloadError: undefined },
        { showPrompts: true },
      );
      expect(plugins(view)[0]?.configuration.system_prompt).toBe(
        'You are the billing assistant. Never reveal [REDACTED]; quote ticket numbers.',
      );
    },
  );

  it('keeps other plugins as they are', () => {
    const view = policyView({ live: generation(policies.v1), reloadError: undefined });
    expect(plugins(view)[1]).toEqual({
      type: 'fast_response',
      configuration: { message: 'Billing is closed today.' },
    });
  });

  it.each([
    ['v1', 'served by http://[REDACTED]@vllm-l4:8000/v1'],
    ['v0.3', 'http://[REDACTED]@vllm-qwen3-8b:8000'],
  ] as const)('%s: redacts credentials in URLs and keeps scheme, host and path', (format, description) => {
    const view = policyView({ live: generation(policies[format]), reloadError: undefined });
    expect((view.policy as { pools: { description: string }[] }).pools[0]?.description).toBe(description);
    expect(JSON.stringify(view)).not.toMatch(/hunter2|s3cret/);
  });

  it('redacts credentials in the error of a failed reload, message and issues alike', () => {
    const issue = {
      file: 'policy.yaml',
      path: 'pools[0].description',
      line: 3,
      message: `cannot reach https://ops:hunter2@vllm-l4:8000 with ${OPENAI_KEY}`,
      hint: 'use Bearer abc123def456ghi789jkl',
      severity: 'error' as const,
    };
    const failed = policyView({
      live: generation(policies.v1),
      reloadError: Object.assign(new Error(`fetch https://ops:hunter2@vllm-l4:8000 failed`), {
        code: 'ECONNREFUSED',
      }),
    });
    expect(failed.reloadError).toEqual({
      message: 'fetch https://[REDACTED]@vllm-l4:8000 failed',
      code: 'ECONNREFUSED',
    });
    const invalid = policyView({ live: generation(policies.v1), reloadError: new PolicyError([issue]) });
    expect(invalid.reloadError?.issues).toEqual([
      {
        path: 'pools[0].description',
        line: 3,
        message: 'cannot reach https://[REDACTED]@vllm-l4:8000 with [REDACTED]',
        hint: 'use Bearer [REDACTED]',
      },
    ]);
    expect(JSON.stringify(invalid.reloadError)).not.toMatch(/hunter2|T3stOnly|abc123/);
  });
});
