// Every plugin the router knows, by the `type` policies write. A type not listed here is a policy error (or a
// warning for the vLLM Semantic Router plugins this router does not implement yet).
import { extensionRegistry } from '../extension.ts';
import { blockPlugin } from './block.ts';
import { fastResponsePlugin } from './fast-response.ts';
import { hallucinationPlugin } from './hallucination.ts';
import { headerMutationPlugin } from './header-mutation.ts';
import type { PluginDefinition } from './plugin.ts';
import { responseJailbreakPlugin } from './response-jailbreak.ts';
import { routerReplayPlugin } from './router-replay.ts';
import { systemPromptPlugin } from './system-prompt.ts';

export const PLUGINS: ReadonlyMap<string, PluginDefinition<never>> = extensionRegistry([
  blockPlugin,
  fastResponsePlugin,
  systemPromptPlugin,
  headerMutationPlugin,
  responseJailbreakPlugin,
  hallucinationPlugin,
  routerReplayPlugin,
] as PluginDefinition<never>[]);

/** vLLM Semantic Router plugin types a policy may carry that this router does not implement yet. */
export const UNSUPPORTED_PLUGIN_TYPES: ReadonlySet<string> = new Set([
  'response_cache',
  'semantic-cache',
  'memory',
  'rag',
  'request_params',
  'tools',
  'tool_selection',
  'context_compression',
  'shadow_dispatch',
]);
