// Every plugin the router knows, by the `type` policies write. A type not listed here is a policy error (or a
// warning for the vLLM Semantic Router plugins this router does not implement yet).
// A plugin's module is imported when a policy names its type (src/policy/load-named-extensions.ts).
import { LazyRegistry } from '../lazy-registry.ts';
import { EXTERNAL_BACKEND_PLUGIN_TYPES } from './external-backend-plugins.ts';
import type { PluginDefinition } from './plugin.ts';

type AnyPlugin = PluginDefinition<never>;

export const PLUGINS: LazyRegistry<AnyPlugin> = new LazyRegistry<AnyPlugin>(
  [
    { name: 'block', load: async () => (await import('./block.ts')).blockPlugin as AnyPlugin },
    {
      name: 'fast_response',
      load: async () => (await import('./fast-response.ts')).fastResponsePlugin as AnyPlugin,
    },
    {
      name: 'system_prompt',
      load: async () => (await import('./system-prompt.ts')).systemPromptPlugin as AnyPlugin,
    },
    {
      name: 'header_mutation',
      load: async () => (await import('./header-mutation.ts')).headerMutationPlugin as AnyPlugin,
    },
    {
      name: 'request_params',
      load: async () => (await import('./request-params/request-params.ts')).requestParamsPlugin as AnyPlugin,
    },
    { name: 'tools', load: async () => (await import('./tools/tools-plugin.ts')).toolsPlugin as AnyPlugin },
    {
      name: 'tool_selection',
      load: async () =>
        (await import('./tool-selection/tool-selection-plugin.ts')).toolSelectionPlugin as AnyPlugin,
    },
    {
      name: 'context_compression',
      load: async () =>
        (await import('./context-compression/context-compression-plugin.ts'))
          .contextCompressionPlugin as AnyPlugin,
    },
    {
      name: 'memory',
      load: async () => (await import('./memory/memory-plugin.ts')).memoryPlugin as AnyPlugin,
    },
    {
      name: 'response_jailbreak',
      load: async () => (await import('./response-jailbreak.ts')).responseJailbreakPlugin as AnyPlugin,
    },
    {
      name: 'hallucination',
      load: async () => (await import('./hallucination.ts')).hallucinationPlugin as AnyPlugin,
    },
    {
      name: 'router_replay',
      load: async () => (await import('./router-replay.ts')).routerReplayPlugin as AnyPlugin,
    },
    {
      name: 'response_cache',
      load: async () =>
        (await import('./response-cache/response-cache-plugin.ts')).responseCachePlugin as AnyPlugin,
    },
    {
      name: 'semantic-cache',
      load: async () =>
        (await import('./response-cache/response-cache-plugin.ts')).semanticCachePlugin as AnyPlugin,
    },
  ],
  (plugin) => plugin.name,
);

/** vLLM Semantic Router plugin types a policy may carry that this router does not implement yet. */
export const UNSUPPORTED_PLUGIN_TYPES: ReadonlySet<string> = new Set([
  'rag',
  'shadow_dispatch',
  ...EXTERNAL_BACKEND_PLUGIN_TYPES,
]);
