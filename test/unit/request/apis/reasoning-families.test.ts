// Every reasoning family type of vLLM Semantic Router writes the upstream body the way the peer does, and a model
// ref's lora_name becomes the upstream model name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestRouter, rewrittenBody } from '../../../../src/pipeline.ts';
import { compilePolicyText } from '../../../../src/policy/load-policy.ts';
import type { Policy } from '../../../../src/policy/policy.ts';
import { applyTopLevelReasoning } from '../../../../src/request/apis/patches.ts';

describe('reasoning family types on a chat body', () => {
  it.each([
    [
      'chat_template_kwargs switches the template',
      { type: 'chat_template_kwargs', parameter: 'enable_thinking' },
      { chat_template_kwargs: { enable_thinking: true } },
    ],
    [
      'reasoning_effort with a dotted parameter nests the effort',
      { type: 'reasoning_effort', parameter: 'reasoning.effort' },
      { reasoning: { effort: 'high' } },
    ],
    [
      'reasoning_effort with a plain parameter writes a top-level field',
      { type: 'reasoning_effort', parameter: 'reasoning_effort' },
      { reasoning_effort: 'high' },
    ],
    [
      'top_level_reasoning_effort writes the parameter as one top-level key',
      { type: 'top_level_reasoning_effort', parameter: 'reasoning_effort' },
      { reasoning_effort: 'high' },
    ],
  ] as const)('%s', (_, family, expected) => {
    const body: Record<string, unknown> = {};
    applyTopLevelReasoning(body, family, true, 'high');
    expect(body).toEqual(expected);
  });

  it('keeps the client fields beside the nested effort and leaves the original object alone', () => {
    const reasoning = { summary: 'auto' };
    const body: Record<string, unknown> = { reasoning };
    applyTopLevelReasoning(
      body,
      { type: 'reasoning_effort', parameter: 'reasoning.effort' },
      true,
      undefined,
    );
    expect(body.reasoning).toEqual({ summary: 'auto', effort: 'medium' });
    expect(reasoning).toEqual({ summary: 'auto' });
  });

  it('writes no effort when the model ref does not use reasoning', () => {
    const body: Record<string, unknown> = {};
    applyTopLevelReasoning(
      body,
      { type: 'top_level_reasoning_effort', parameter: 'reasoning_effort' },
      false,
      'high',
    );
    expect(body).toEqual({});
  });
});

const POLICY = `
version: v1
default_model: mistral
reasoning_families:
  mistral: { type: top_level_reasoning_effort, parameter: reasoning_effort }
  gpt: { type: reasoning_effort, parameter: reasoning.effort }
pools: [{ name: p, max_context_tokens: 32K }]
models:
  - { name: mistral, provider_model_id: mistralai/Magistral-Small, pools: [p], reasoning_family: mistral }
  - { name: gpt, provider_model_id: openai/gpt-oss-20b, pools: [p], reasoning_family: gpt }
routing:
  signals:
    keywords:
      - { name: sql, keywords: [sql] }
      - { name: proof, keywords: [prove] }
      - { name: audit, keywords: [audit] }
  decisions:
    - name: sql
      priority: 20
      rules: { operator: OR, conditions: [{ type: keyword, name: sql }] }
      modelRefs: [{ model: mistral, use_reasoning: true, reasoning_effort: low, lora_name: sql-expert }]
    - name: proof
      priority: 10
      rules: { operator: OR, conditions: [{ type: keyword, name: proof }] }
      modelRefs: [{ model: gpt, use_reasoning: true, reasoning_effort: high }]
    - name: audit
      priority: 5
      rules: { operator: OR, conditions: [{ type: keyword, name: audit }] }
      modelRefs: [{ model: mistral, use_reasoning: true, reasoning_effort: max }]
`;

describe('the upstream body a routed request gets', () => {
  let policy: Policy;
  beforeAll(async () => {
    policy = await compilePolicyText(POLICY, 'reasoning.yaml');
  });
  afterAll(() => policy.close());

  async function upstreamBody(prompt: string): Promise<Record<string, unknown>> {
    const router = createRequestRouter(policy);
    const body = Buffer.from(
      JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: prompt }] }),
    );
    const routed = await router.route({
      method: 'POST',
      path: '/v1/chat/completions',
      api: 'chat_completions',
      headers: new Map(),
      body,
    });
    return JSON.parse(rewrittenBody(routed.plan, routed.context).toString('utf8')) as Record<string, unknown>;
  }

  it('names the LoRA adapter as the model and sets a top-level effort', async () => {
    const body = await upstreamBody('write the sql for monthly revenue');
    expect(body.model).toBe('sql-expert');
    expect(body.reasoning_effort).toBe('low');
  });

  it('nests the effort for a reasoning_effort family with a dotted parameter', async () => {
    const body = await upstreamBody('prove that the square root of two is irrational');
    expect(body.model).toBe('openai/gpt-oss-20b');
    expect(body.reasoning).toEqual({ effort: 'high' });
    expect(Object.keys(body)).not.toContain('reasoning.effort');
  });

  it("passes the peer's wider effort levels (none, xhigh, max) through as written", async () => {
    const body = await upstreamBody('audit this contract for hidden fees');
    expect(body.reasoning_effort).toBe('max');
  });
});
