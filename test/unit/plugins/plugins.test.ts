// Plugins: one registry shape, configs checked at policy load, asynchronous hooks per phase with the whole routing
// context; a request plugin that answers ends the request before model and pool choice.
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PolicyError } from '../../../src/errors.ts';
import { createRequestRouter } from '../../../src/pipeline.ts';
import { PLUGINS as PLUGIN_REGISTRY } from '../../../src/plugins/index.ts';
import { type PluginDefinition, plugin, type ResponsePhaseContext } from '../../../src/plugins/plugin.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import { StreamProcessor } from '../../../src/server/stream-processor.ts';

const PLUGINS = await PLUGIN_REGISTRY.loadAll();

const opened: Policy[] = [];
afterEach(() => {
  for (const p of opened.splice(0)) p.close();
});

function policyWith(plugins: string): string {
  return `
version: v1
default_model: small
pools: [{ name: l4-pool, max_context_tokens: 32K }]
models: [{ name: small, pools: [l4-pool] }]
routing:
  decisions:
    - name: everything
      modelRefs: [{ model: small }]
      plugins: ${plugins}
`;
}

async function compile(plugins: string, registry?: ReadonlyMap<string, PluginDefinition<never>>) {
  const policy = await compilePolicyText(
    policyWith(plugins),
    'plugins.yaml',
    registry ? { plugins: registry } : {},
  );
  opened.push(policy);
  return policy;
}

function processor(policy: Policy) {
  return new StreamProcessor(createRequestRouter(policy), {
    maxBodyBytes: 1024 * 1024,
    failOpen: false,
    onUnexpectedError: (error) => {
      throw error;
    },
  });
}

async function route(p: StreamProcessor) {
  p.onRequestHeaders(
    new Map([
      [':method', 'POST'],
      [':path', '/v1/chat/completions'],
    ]),
    false,
  );
  return p.onRequestBody(
    Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'hello' }] })),
    true,
  );
}

describe('plugin registry', () => {
  it('lists every built-in plugin under its name, with a config schema and a factory', () => {
    expect([...PLUGINS.keys()].sort()).toEqual([
      'block',
      'context_compression',
      'fast_response',
      'hallucination',
      'header_mutation',
      'memory',
      'request_params',
      'response_cache',
      'response_jailbreak',
      'router_replay',
      'semantic-cache',
      'system_prompt',
      'tool_selection',
      'tools',
    ]);
    for (const [name, definition] of PLUGINS) {
      expect(definition.name).toBe(name);
      expect(typeof definition.create).toBe('function');
    }
  });

  it('rejects a bad plugin configuration at policy load, with its path', async () => {
    const error = await compile(
      `[{ type: header_mutation, configuration: { add: [{ name: x-selected-pool, value: h100 }] } }]`,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).issues[0]?.path).toMatch(/plugins\[0\]\.configuration\.add\[0\]\.name/);
    expect((error as PolicyError).message).toMatch(/router owns this header/);
  });
});

describe('header_mutation', () => {
  it('adds, updates and deletes upstream request headers of the routed requests', async () => {
    const policy = await compile(
      `[{ type: header_mutation, configuration: { add: [{ name: X-Tenant-Tier, value: premium }], update: [{ name: x-route-source, value: semantic-router }], delete: [X-Debug-Trace] } }]`,
    );
    const result = await route(processor(policy));
    expect(result.kind).toBe('continue');
    if (result.kind !== 'continue') return;
    expect(Object.fromEntries(result.setHeaders ?? [])).toMatchObject({
      'x-tenant-tier': 'premium',
      'x-route-source': 'semantic-router',
      'x-selected-pool': 'l4-pool',
    });
    expect(result.removeHeaders).toEqual(['x-debug-trace']);
  });
});

describe('plugin phases', () => {
  it('runs asynchronous request hooks with the routing context, and response hooks with the answer', async () => {
    const seen: string[] = [];
    let ended: ResponsePhaseContext | undefined;
    const probe: PluginDefinition<{ label: string }> = {
      name: 'probe',
      configSchema: z.strictObject({ label: z.string() }),
      create: ({ label }) =>
        plugin('probe', {
          onRequest: async (context) => {
            await new Promise((resolve) => setImmediate(resolve));
            seen.push(`request:${label}:${context.decision.name}:${context.request.request.api}`);
            return undefined;
          },
          onResponseHeaders: (context) => {
            seen.push(`headers:${context.response.status}:${context.pool.name}`);
            return [['x-probe', label]];
          },
          onStreamEnd: (context) => {
            ended = context;
          },
        }),
    };
    const registry = new Map([...PLUGINS, ['probe', probe as PluginDefinition<never>]]);
    const policy = await compile(`[{ type: probe, configuration: { label: p1 } }]`, registry);
    const p = processor(policy);
    await route(p);
    const headers = await p.onResponseHeaders(
      new Map([
        [':status', '200'],
        ['content-type', 'application/json'],
      ]),
    );
    expect(headers.kind === 'continue' && Object.fromEntries(headers.setHeaders ?? [])['x-probe']).toBe('p1');
    await p.onResponseBody(Buffer.from('{"usage":{"prompt_tokens":3,"completion_tokens":2}}'), true);
    expect(seen).toEqual(['request:p1:everything:chat_completions', 'headers:200:l4-pool']);
    expect(ended?.response).toMatchObject({
      complete: true,
      usage: { promptTokens: 3, completionTokens: 2 },
    });
  });

  it('a response hook that throws is reported and the answer goes on', async () => {
    const failing: PluginDefinition<Record<string, never>> = {
      name: 'failing',
      configSchema: z.strictObject({}),
      create: () =>
        plugin('failing', {
          onResponseHeaders: () => {
            throw new Error('plugin bug');
          },
        }),
    };
    const registry = new Map([...PLUGINS, ['failing', failing as PluginDefinition<never>]]);
    const policy = await compile(`[{ type: failing }]`, registry);
    const errors: unknown[] = [];
    const p = new StreamProcessor(createRequestRouter(policy), {
      maxBodyBytes: 1024,
      failOpen: false,
      onUnexpectedError: () => {},
      onPluginError: (error) => errors.push(error),
    });
    await route(p);
    const headers = await p.onResponseHeaders(new Map([[':status', '200']]));
    expect(headers.kind).toBe('continue');
    expect(String(errors[0])).toMatch(/plugin bug/);
  });
});
