// request_params: what a route lets a client ask of the model, as the upstream receives it.
import { afterEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { PolicyError } from '../../../src/errors.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import { compilePluginPolicy, peerPlugin, upstreamBody } from '../../helpers/peer-plugin-fragment.ts';

const opened: Policy[] = [];
afterEach(() => {
  for (const p of opened.splice(0)) p.close();
});

async function policyWith(configuration: Record<string, unknown>): Promise<Policy> {
  const policy = await compilePluginPolicy([{ type: 'request_params', configuration }]);
  opened.push(policy);
  return policy;
}

const chat = (extra: Record<string, unknown>) => ({
  model: 'auto',
  messages: [{ role: 'user', content: 'hello' }],
  ...extra,
});

describe('request_params plugin', () => {
  it('loads the peer budget-tier fragment and applies it: blocked params gone, caps clamped, unknown fields dropped', async () => {
    const policy = await compilePluginPolicy([peerPlugin('request-params/budget-tier.yaml')]);
    opened.push(policy);
    expect(policy.warnings).toEqual([]);
    const body = await upstreamBody(policy, {
      body: chat({
        logprobs: true,
        top_logprobs: 5,
        max_tokens: 4000,
        n: 3,
        temperature: 0.2,
        my_extension: 1,
      }),
    });
    expect(body).not.toHaveProperty('logprobs');
    expect(body).not.toHaveProperty('top_logprobs');
    expect(body).not.toHaveProperty('my_extension');
    expect(body.max_tokens).toBe(500);
    expect(body.n).toBe(1);
    expect(body.temperature).toBe(0.2);
  });

  it('leaves caps under the limit alone and sets the limit when the client asked for no cap', async () => {
    const policy = await policyWith({ max_tokens_limit: 500 });
    expect(
      (await upstreamBody(policy, { body: chat({ max_completion_tokens: 100 }) })).max_completion_tokens,
    ).toBe(100);
    expect((await upstreamBody(policy, { body: chat({}) })).max_tokens).toBe(500);
  });

  it('clamps each API’s own output cap: Responses max_output_tokens, Messages max_tokens', async () => {
    const policy = await policyWith({ max_tokens_limit: 64 });
    const responses = await upstreamBody(policy, {
      path: '/v1/responses',
      body: { model: 'auto', input: 'hi', max_output_tokens: 1000 },
    });
    expect(responses.max_output_tokens).toBe(64);
    const messages = await upstreamBody(policy, {
      path: '/v1/messages',
      body: { model: 'auto', max_tokens: 1000, messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(messages.max_tokens).toBe(64);
  });

  it('keeps fields the API defines when stripping unknown ones (Responses instructions survive)', async () => {
    const policy = await policyWith({ strip_unknown: true });
    const body = await upstreamBody(policy, {
      path: '/v1/responses',
      body: { model: 'auto', input: 'hi', instructions: 'be brief', messages: [] },
    });
    expect(body.instructions).toBe('be brief');
    expect(body).not.toHaveProperty('messages');
  });

  it('drops the client’s unknown fields but keeps the reasoning switch the router writes for the model', async () => {
    const policy = await compilePolicyText(
      YAML.stringify({
        version: 'v1',
        default_model: 'm',
        reasoning_families: { custom: { type: 'reasoning_effort', parameter: 'reasoning.effort' } },
        pools: [{ name: 'p', max_context_tokens: 32768 }],
        models: [{ name: 'm', pools: ['p'], reasoning_family: 'custom' }],
        routing: {
          decisions: [
            {
              name: 'all',
              modelRefs: [{ model: 'm', use_reasoning: true }],
              plugins: [{ type: 'request_params', configuration: { strip_unknown: true } }],
            },
          ],
        },
      }),
      'reasoning.yaml',
    );
    opened.push(policy);
    const body = await upstreamBody(policy, { body: chat({ vendor_flag: true }) });
    expect(body).not.toHaveProperty('vendor_flag');
    expect(body.reasoning).toEqual({ effort: 'medium' });
  });

  it('rejects an unknown field and a blocked essential parameter at load, with the path', async () => {
    await expect(policyWith({ max_token_limit: 5 })).rejects.toThrow(PolicyError);
    await expect(policyWith({ max_token_limit: 5 })).rejects.toThrow(/max_token_limit/);
    await expect(policyWith({ blocked_params: ['messages'] })).rejects.toThrow(/cannot be blocked/);
  });
});
