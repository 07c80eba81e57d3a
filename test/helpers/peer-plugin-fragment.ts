// The peer's plugin fragments (../shared/vsr-config/fragments/plugin/...), read in place and wrapped in a minimal
// policy; and the upstream body a policy's winning decision produces for a request.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { planRoute, type RouterDeps, rewrittenBody } from '../../src/pipeline.ts';
import { compilePolicyText, type LoadOptions } from '../../src/policy/load-policy.ts';
import type { Policy } from '../../src/policy/policy.ts';
import type { CallerIdentity } from '../../src/request/identity.ts';
import { apiForPath, decodeJsonBody, parseLlmRequest } from '../../src/request/openai-request.ts';
import { buildRequestContext } from '../../src/request/request-context.ts';
import { PEER_FRAGMENTS } from './peer-fragment.ts';

export interface PluginDocument {
  readonly type: string;
  readonly configuration: Record<string, unknown>;
}

/** The `plugin:` a fragment under `fragments/plugin/` declares. */
export function peerPlugin(fragment: string): PluginDocument {
  const doc = YAML.parse(readFileSync(path.join(PEER_FRAGMENTS, 'plugin', fragment), 'utf8')) as {
    plugin: PluginDocument;
  };
  return doc.plugin;
}

/** A one-model policy whose single decision matches every request and runs `plugins`, as YAML. */
export function pluginPolicy(plugins: readonly PluginDocument[]): string {
  return YAML.stringify({
    version: 'v1',
    default_model: 'm',
    pools: [{ name: 'p', max_context_tokens: 32768 }],
    models: [{ name: 'm', pools: ['p'] }],
    routing: { decisions: [{ name: 'all', modelRefs: [{ model: 'm' }], plugins }] },
  });
}

/** Compiles `pluginPolicy(plugins)` as if read from `file` (paths in plugin configurations are relative to it). */
export async function compilePluginPolicy(
  plugins: readonly PluginDocument[],
  options: LoadOptions = {},
  file = 'plugin-policy.yaml',
): Promise<Policy> {
  return compilePolicyText(pluginPolicy(plugins), file, options);
}

export interface UpstreamRequest {
  readonly body: Record<string, unknown>;
  readonly path?: string;
  readonly identity?: CallerIdentity;
  /** The router's state (its store); fresh per call when absent. */
  readonly deps?: RouterDeps;
}

/** The JSON body the router would send upstream for `request` under `policy`. */
export async function upstreamBody(
  policy: Policy,
  request: UpstreamRequest,
): Promise<Record<string, unknown>> {
  const requestPath = request.path ?? '/v1/chat/completions';
  const bytes = Buffer.from(JSON.stringify(request.body), 'utf8');
  const api = apiForPath(requestPath);
  if (api === undefined) throw new Error(`no LLM API is served on ${requestPath}`);
  const parsed = parseLlmRequest(api, decodeJsonBody(bytes));
  const context = buildRequestContext({
    method: 'POST',
    path: requestPath,
    headers: new Map(),
    request: parsed,
    bodyBytes: bytes,
    identity: request.identity,
  });
  const plan = await planRoute(policy, context, undefined, request.deps);
  return JSON.parse(rewrittenBody(plan, context).toString('utf8')) as Record<string, unknown>;
}

/** Every plugin a fragment declares: one (`plugin:`) or a bundle (`plugins:`). */
export function peerPluginFragment(relative: string): unknown[] {
  const doc = YAML.parse(readFileSync(path.join(PEER_FRAGMENTS, 'plugin', relative), 'utf8')) as {
    plugin?: unknown;
    plugins?: unknown[];
  };
  return doc.plugins ?? [doc.plugin];
}
