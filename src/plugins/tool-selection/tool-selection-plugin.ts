// `tool_selection` (vLLM Semantic Router's fields). Mode `filter` keeps the client's tools relevant to the last user
// message (`relevance_threshold`, at least `preserve_count` of the best); mode `add` adds up to `top_k` relevant
// tools from a tools database (`tools_db_path`, relative to the policy; format in docs/tools-db.md). A missing
// database is a load warning and the plugin adds nothing; relevance failures never fail the request.
import path from 'node:path';
import { z } from 'zod';
import type { LlmApi } from '../../request/apis/index.ts';
import type { RequestContext } from '../../request/request-context.ts';
import { type PluginDefinition, plugin, type RewriteEffect } from '../plugin.ts';
import type { PluginDeps } from '../plugin-deps.ts';
import { type PluginEmbedder, pluginEmbedder } from '../plugin-embedder.ts';
import { contentWords, semanticRelevance } from '../relevance.ts';
import { addTools, declaredTools, keepTools, toolName, toolText } from '../tools/declared-tools.ts';
import { combinedToolScore, DEFAULT_TOOL_SCORE_WEIGHTS, type ScoredCandidate } from './tool-scoring.ts';
import { loadToolsDb, type ToolsDbEntry } from './tools-db.ts';

const unit = z.number().min(0).max(1);

const configSchema = z
  .strictObject({
    enabled: z.boolean().optional(),
    mode: z.enum(['filter', 'add']).default('add'),
    relevance_threshold: unit.default(0.25),
    preserve_count: z.number().int().nonnegative().default(0),
    tools_db_path: z.string().min(1).optional(),
    top_k: z.number().int().positive().default(5),
    similarity_threshold: unit.default(0.35),
    strategy: z.string().optional(),
    fallback_to_empty: z.boolean().default(false),
    advanced_filtering: z
      .strictObject({
        enabled: z.boolean().default(false),
        candidate_pool_size: z.number().int().positive().optional(),
        min_combined_score: unit.default(0),
        min_lexical_overlap: z.number().int().nonnegative().default(0),
        retrieval_strategy: z.string().optional(),
        weights: z
          .strictObject({ embed: unit, lexical: unit, tag: unit, name: unit, category: unit })
          .partial()
          .optional(),
      })
      .optional(),
  })
  .refine((config) => config.mode !== 'add' || config.tools_db_path !== undefined, {
    message: 'mode add needs tools_db_path (a JSON tools database, see docs/tools-db.md)',
    path: ['tools_db_path'],
  });

type ToolSelectionConfig = z.infer<typeof configSchema>;

interface Scored {
  readonly index: number;
  readonly semantic: number;
  readonly combined: number;
  readonly lexicalHits: number;
}

function candidateOfEntry(entry: ToolsDbEntry): ScoredCandidate {
  const fn = entry.tool.function;
  const text = [fn.name, fn.description, entry.description ?? ''].filter((t) => t.length > 0).join(': ');
  return { name: fn.name, text, tags: entry.tags, category: entry.category };
}

/** The database's tool in the request API's shape (Responses and Messages do not nest `function`). */
function toolForApi(api: LlmApi, entry: ToolsDbEntry): unknown {
  const { name, description, parameters } = entry.tool.function;
  const schema = parameters ?? { type: 'object', properties: {} };
  if (api === 'responses') return { type: 'function', name, description, parameters: schema };
  if (api === 'messages') return { name, description, input_schema: schema };
  return entry.tool;
}

function createScorer(config: ToolSelectionConfig, embedder: PluginEmbedder) {
  const advanced = config.advanced_filtering;
  const weights = { ...DEFAULT_TOOL_SCORE_WEIGHTS, ...advanced?.weights };
  return async (
    request: RequestContext,
    candidates: readonly ScoredCandidate[],
  ): Promise<Scored[] | undefined> => {
    let semantic: number[] | undefined;
    try {
      semantic = await semanticRelevance(
        embedder,
        request,
        candidates.map((c) => c.text),
      );
    } catch {
      return undefined;
    }
    if (semantic === undefined) return undefined;
    const queryWords = new Set(contentWords(request.lastUserText));
    return candidates.map((candidate, index) => {
      const words = new Set(contentWords(candidate.text));
      let lexicalHits = 0;
      for (const word of queryWords) if (words.has(word)) lexicalHits++;
      const similarity = semantic[index] ?? 0;
      return {
        index,
        semantic: similarity,
        combined: combinedToolScore(queryWords, similarity, candidate, weights),
        lexicalHits,
      };
    });
  };
}

function addMode(config: ToolSelectionConfig, deps: PluginDeps, embedder: PluginEmbedder) {
  const file = path.resolve(deps.policyDir, config.tools_db_path ?? '');
  const db = loadToolsDb(file);
  let entries: readonly ToolsDbEntry[] = [];
  if (db.kind === 'missing') {
    deps.warn(
      ['tools_db_path'],
      `tools database ${file} does not exist: tool_selection adds no tools`,
      'create it (format: docs/tools-db.md) or remove the plugin',
    );
  } else if (db.kind === 'invalid') {
    const message = `tools database ${file} ${db.reason}`;
    if (config.fallback_to_empty) deps.warn(['tools_db_path'], `${message}: tool_selection adds no tools`);
    else
      deps.error(
        ['tools_db_path'],
        message,
        'fix the file, or set fallback_to_empty: true to load without it',
      );
  } else {
    entries = db.entries;
  }
  const candidates = entries.map(candidateOfEntry);
  const score = createScorer(config, embedder);
  const advanced = config.advanced_filtering;
  return async (request: RequestContext): Promise<RewriteEffect | undefined> => {
    const api = request.request.api;
    if (candidates.length === 0 || api === 'completions') return undefined;
    const scored = await score(request, candidates);
    if (scored === undefined) return undefined;
    let pool = scored.filter((s) => s.semantic >= config.similarity_threshold);
    if (advanced?.enabled) {
      if (advanced.candidate_pool_size !== undefined) {
        pool = pool.sort((a, b) => b.semantic - a.semantic).slice(0, advanced.candidate_pool_size);
      }
      pool = pool.filter(
        (s) => s.combined >= advanced.min_combined_score && s.lexicalHits >= advanced.min_lexical_overlap,
      );
    }
    const chosen = pool
      .sort((a, b) => b.combined - a.combined)
      .slice(0, config.top_k)
      .map((s) => entries[s.index])
      .filter((entry): entry is ToolsDbEntry => entry !== undefined);
    if (chosen.length === 0) return undefined;
    const tools = chosen.map((entry) => toolForApi(api, entry));
    return { kind: 'rewrite', patchBody: (body) => addTools(body, tools) };
  };
}

function filterMode(config: ToolSelectionConfig, embedder: PluginEmbedder) {
  const score = createScorer(config, embedder);
  return async (request: RequestContext): Promise<RewriteEffect | undefined> => {
    const tools = declaredTools(request.request.body);
    if (tools.length <= config.preserve_count) return undefined;
    const candidates = tools.map((tool) => ({
      name: toolName(tool) ?? '',
      text: toolText(tool),
      tags: [],
      category: undefined,
    }));
    const scored = await score(request, candidates);
    if (scored === undefined) return undefined;
    const ranked = [...scored].sort((a, b) => b.combined - a.combined);
    const kept = new Set(
      ranked
        .filter((s, rank) => rank < config.preserve_count || s.combined >= config.relevance_threshold)
        .map((s) => candidates[s.index]?.name),
    );
    const api = request.request.api;
    return { kind: 'rewrite', patchBody: (body) => keepTools(api, body, (name) => kept.has(name)) };
  };
}

export const toolSelectionPlugin: PluginDefinition<ToolSelectionConfig> = {
  name: 'tool_selection',
  configSchema,
  create: (config, deps) => {
    const embedder = pluginEmbedder(deps);
    const onRequest = config.mode === 'add' ? addMode(config, deps, embedder) : filterMode(config, embedder);
    return plugin('tool_selection', { onRequest: ({ request }) => onRequest(request) });
  },
};
