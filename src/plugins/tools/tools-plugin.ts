// `tools` (vLLM Semantic Router's fields): what a route lets through of the tools a client declares. `none` sends no
// tools (and, with `strip_tool_history`, no earlier tool calls or results); `passthrough` sends them as declared;
// `filtered` applies `allow_tools` / `block_tools` and, with `semantic_selection`, keeps only the `top_k` tools
// most relevant to the last user message (built-in embedder). A blocked tool never reaches the upstream, and
// `tool_choice` never names a tool that was removed.
import { z } from 'zod';
import type { RequestContext } from '../../request/request-context.ts';
import { type PluginDefinition, plugin, type RewriteEffect } from '../plugin.ts';
import { type PluginDeps, STANDALONE_PLUGIN_DEPS } from '../plugin-deps.ts';
import { type PluginEmbedder, pluginEmbedder } from '../plugin-embedder.ts';
import { toolRelevance } from '../relevance.ts';
import {
  declaredTools,
  forcedToolName,
  keepTools,
  removeAllTools,
  toolName,
  toolText,
} from './declared-tools.ts';
import { stripToolHistory } from './tool-history.ts';

const configSchema = z.strictObject({
  enabled: z.boolean().optional(),
  mode: z.enum(['none', 'passthrough', 'filtered']).default('passthrough'),
  allow_tools: z.array(z.string().min(1)).default([]),
  block_tools: z.array(z.string().min(1)).default([]),
  semantic_selection: z.boolean().default(false),
  /** Tools semantic selection keeps (the peer's global `integrations.tools.top_k`). */
  top_k: z.number().int().positive().default(5),
  /** Least relevance (0-1, see src/plugins/relevance.ts) semantic selection keeps a tool at. */
  similarity_threshold: z.number().min(0).max(1).default(0),
  strip_tool_history: z.boolean().default(false),
});

type ToolsConfig = z.infer<typeof configSchema>;

/** Names semantic selection keeps: the `top_k` most similar at or above the threshold, plus a forced tool. */
async function relevantNames(
  embedder: PluginEmbedder,
  request: RequestContext,
  names: readonly string[],
  texts: readonly string[],
  config: ToolsConfig,
): Promise<Set<string> | undefined> {
  if (names.length <= config.top_k && config.similarity_threshold <= 0) return undefined;
  let scores: number[] | undefined;
  try {
    scores = await toolRelevance(embedder, request, texts);
  } catch {
    // Relevance is an optimisation, not a guardrail: without the embedder the allowed tools all go through.
    return undefined;
  }
  if (scores === undefined) return undefined;
  const ranked = names
    .map((name, index) => ({ name, score: scores[index] ?? -1 }))
    .filter((entry) => entry.score >= config.similarity_threshold)
    .sort((a, b) => b.score - a.score)
    .slice(0, config.top_k);
  const kept = new Set(ranked.map((entry) => entry.name));
  const forced = forcedToolName(request.request.body);
  if (forced !== undefined) kept.add(forced);
  return kept;
}

export function createToolsPlugin(config: ToolsConfig, deps: PluginDeps = STANDALONE_PLUGIN_DEPS) {
  const embedder = pluginEmbedder(deps);
  const allowed = new Set(config.allow_tools);
  const blocked = new Set(config.block_tools);
  const permitted = (name: string | undefined): boolean =>
    name !== undefined && !blocked.has(name) && (allowed.size === 0 || allowed.has(name));
  return plugin('tools', {
    onRequest: async ({ request }): Promise<RewriteEffect | undefined> => {
      const api = request.request.api;
      if (config.mode === 'none') {
        return {
          kind: 'rewrite',
          patchBody: (body) => {
            removeAllTools(body);
            if (config.strip_tool_history) stripToolHistory(api, body);
          },
        };
      }
      if (config.mode === 'passthrough') return undefined;
      const candidates = declaredTools(request.request.body).filter((tool) => permitted(toolName(tool)));
      let relevant: Set<string> | undefined;
      if (config.semantic_selection && candidates.length > 0) {
        relevant = await relevantNames(
          embedder,
          request,
          candidates.map((tool) => toolName(tool) ?? ''),
          candidates.map(toolText),
          config,
        );
      }
      return {
        kind: 'rewrite',
        patchBody: (body) =>
          keepTools(
            api,
            body,
            (name) => permitted(name) && (relevant === undefined || relevant.has(name ?? '')),
          ),
      };
    },
  });
}

export const toolsPlugin: PluginDefinition<ToolsConfig> = {
  name: 'tools',
  configSchema,
  create: (config, deps) => createToolsPlugin(config, deps),
};
