// Per-decision actions run after routing: answer directly (fast_response, block) or change the upstream request.
import { z } from 'zod';
import { llmApi } from '../request/apis/index.ts';
import type { ParsedRequest } from '../request/openai-request.ts';

/** What a plugin wants done with the request. */
export type PluginEffect =
  | {
      readonly kind: 'respond';
      readonly responsePath: 'fast_response' | 'blocked';
      readonly status: number;
      readonly message: string;
    }
  | { readonly kind: 'rewrite'; readonly patchBody: (body: Record<string, unknown>) => void };

export interface DecisionPlugin {
  readonly type: string;
  apply(request: ParsedRequest): PluginEffect;
}

export interface PluginFactory<Config> {
  readonly type: string;
  readonly configSchema: z.ZodType<Config>;
  create(config: Config): DecisionPlugin;
}

const fastResponse: PluginFactory<{ message: string }> = {
  type: 'fast_response',
  configSchema: z.object({ message: z.string().min(1) }).loose(),
  create: ({ message }) => ({
    type: 'fast_response',
    apply: () => ({ kind: 'respond', responsePath: 'fast_response', status: 200, message }),
  }),
};

const block: PluginFactory<{ message: string; status: number }> = {
  type: 'block',
  configSchema: z.strictObject({
    message: z.string().min(1).default('This request is not allowed by the routing policy'),
    status: z.number().int().min(400).max(599).default(403),
  }),
  create: ({ message, status }) => ({
    type: 'block',
    apply: () => ({ kind: 'respond', responsePath: 'blocked', status, message }),
  }),
};

const systemPrompt: PluginFactory<{ system_prompt: string; mode: 'replace' | 'insert' }> = {
  type: 'system_prompt',
  configSchema: z
    .object({ system_prompt: z.string().min(1), mode: z.enum(['replace', 'insert']).default('replace') })
    .loose(),
  create: ({ system_prompt, mode }) => ({
    type: 'system_prompt',
    // Each API carries its system prompt in its own place (messages, instructions, system, prompt).
    apply: (request) => ({
      kind: 'rewrite',
      patchBody: (body) => llmApi(request.api).applySystemPrompt(body, system_prompt, mode),
    }),
  }),
};

export const pluginFactories: ReadonlyMap<string, PluginFactory<never>> = new Map(
  [fastResponse, block, systemPrompt].map((p) => [p.type, p as unknown as PluginFactory<never>]),
);

/** vLLM Semantic Router plugin types a v0.3 file may carry that this router does not implement yet. */
export const UNSUPPORTED_PLUGIN_TYPES: ReadonlySet<string> = new Set([
  'response_cache',
  'semantic-cache',
  'header_mutation',
  'hallucination',
  'response_jailbreak',
  'router_replay',
  'memory',
  'rag',
  'request_params',
  'tools',
  'tool_selection',
  'context_compression',
  'shadow_dispatch',
]);
