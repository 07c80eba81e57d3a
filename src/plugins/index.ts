// Every plugin the router knows, by the `type` policies write. A type not listed here is a policy error (or a
// warning for the vLLM Semantic Router plugins this router does not implement yet).
import { extensionRegistry } from '../extension.ts';
import { blockPlugin } from './block.ts';
import { contextCompressionPlugin } from './context-compression/context-compression-plugin.ts';
import { EXTERNAL_BACKEND_PLUGIN_TYPES } from './external-backend-plugins.ts';
import { fastResponsePlugin } from './fast-response.ts';
import { hallucinationPlugin } from './hallucination.ts';
import { headerMutationPlugin } from './header-mutation.ts';
import { memoryPlugin } from './memory/memory-plugin.ts';
import type { PluginDefinition } from './plugin.ts';
import { requestParamsPlugin } from './request-params/request-params.ts';
import { responseCachePlugin, semanticCachePlugin } from './response-cache/response-cache-plugin.ts';
import { responseJailbreakPlugin } from './response-jailbreak.ts';
import { routerReplayPlugin } from './router-replay.ts';
import { systemPromptPlugin } from './system-prompt.ts';
import { toolSelectionPlugin } from './tool-selection/tool-selection-plugin.ts';
import { toolsPlugin } from './tools/tools-plugin.ts';

export const PLUGINS: ReadonlyMap<string, PluginDefinition<never>> = extensionRegistry([
  blockPlugin,
  fastResponsePlugin,
  systemPromptPlugin,
  headerMutationPlugin,
  requestParamsPlugin,
  toolsPlugin,
  toolSelectionPlugin,
  contextCompressionPlugin,
  memoryPlugin,
  responseJailbreakPlugin,
  hallucinationPlugin,
  routerReplayPlugin,
  responseCachePlugin,
  semanticCachePlugin,
] as PluginDefinition<never>[]);

/** vLLM Semantic Router plugin types a policy may carry that this router does not implement yet. */
export const UNSUPPORTED_PLUGIN_TYPES: ReadonlySet<string> = new Set([
  'rag',
  'shadow_dispatch',
  ...EXTERNAL_BACKEND_PLUGIN_TYPES,
]);
