// Reads a vLLM Semantic Router v0.3 file (`providers.models`, `backend_refs`, `routing.modelCards`) into our shape.
import { z } from 'zod';
import { looperFromV03 } from '../selection/looper/looper-settings.ts';

const backendRefSchema = z
  .object({
    name: z.string().optional(),
    endpoint: z.string().optional(),
    base_url: z.string().optional(),
    weight: z.number().optional(),
  })
  .loose();

const v03ModelSchema = z
  .object({
    name: z.string().min(1),
    provider_model_id: z.string().optional(),
    backend_refs: z.array(backendRefSchema).default([]),
    pricing: z.record(z.string(), z.unknown()).optional(),
    reasoning_family: z.string().optional(),
    reasoning: z.object({ family: z.string().optional() }).loose().optional(),
  })
  .loose();

const modelCardSchema = z
  .object({
    name: z.string(),
    context_window_size: z.number().int().positive().optional(),
    quality_score: z.number().optional(),
    description: z.string().optional(),
  })
  .loose();

export const v03DocumentSchema = z
  .object({
    version: z.literal('v0.3').optional(),
    providers: z
      .object({
        defaults: z
          .object({
            default_model: z.string().optional(),
            model: z.string().optional(),
            reasoning_families: z.record(z.string(), z.unknown()).optional(),
          })
          .loose()
          .default({}),
        models: z.array(v03ModelSchema).min(1, 'providers.models needs at least one model'),
      })
      .loose(),
    routing: z
      .object({ modelCards: z.array(modelCardSchema).optional(), strategy: z.string().optional() })
      .loose()
      .default({}),
    global: z.unknown().optional(),
    entrypoints: z.array(z.unknown()).optional(),
    recipes: z.array(z.unknown()).optional(),
  })
  .loose();

/** Context assumed for a v0.3 model whose card gives none. */
const DEFAULT_V03_CONTEXT_TOKENS = 131072;

/** Pool (Envoy cluster) names follow vLLM Semantic Router's endpoint names: `<model>_<ref name>`. */
function poolName(model: string, refName: string | undefined, index: number): string {
  const ref = refName ?? (index === 0 ? 'primary' : `backend-${index}`);
  return `${model}_${ref}`.replace(/[^A-Za-z0-9_.:-]/g, '-');
}

function pick(object: unknown, path: readonly string[]): unknown {
  let value = object;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * The names that mean "let the router choose": `auto` and `MoM` (what the peer's clients send), plus the peer's
 * `global.router.auto_model_name` and `auto_model_names`.
 */
function autoModelNames(global: unknown): string[] {
  const names = new Set(['auto', 'MoM']);
  const single = pick(global, ['router', 'auto_model_name']);
  if (typeof single === 'string' && single) names.add(single);
  const listed = pick(global, ['router', 'auto_model_names']);
  if (Array.isArray(listed)) for (const name of listed) if (typeof name === 'string' && name) names.add(name);
  return [...names];
}

export function isV03Document(raw: Record<string, unknown>): boolean {
  return raw.version === 'v0.3' || (raw.version === undefined && 'providers' in raw);
}

/** Converts a validated v0.3 document into the raw v1 shape (validated again by the v1 schema). */
export function convertV03(doc: z.infer<typeof v03DocumentSchema>): Record<string, unknown> {
  const { modelCards = [], strategy, ...routing } = doc.routing;
  const cards = new Map(modelCards.map((c) => [c.name, c]));
  const pools: Record<string, unknown>[] = [];
  const models = doc.providers.models.map((model) => {
    const card = cards.get(model.name);
    const maxContext = card?.context_window_size ?? DEFAULT_V03_CONTEXT_TOKENS;
    const modelPools = model.backend_refs.map((ref, index) => {
      const name = poolName(model.name, ref.name, index);
      pools.push({ name, max_context_tokens: maxContext, description: ref.endpoint ?? ref.base_url });
      return name;
    });
    const reasoningFamily = model.reasoning_family ?? model.reasoning?.family;
    return {
      name: model.name,
      ...(model.provider_model_id && { provider_model_id: model.provider_model_id }),
      pools: modelPools,
      ...(model.pricing && { pricing: model.pricing }),
      ...(card?.context_window_size && { context_window: card.context_window_size }),
      ...(card?.quality_score !== undefined && { quality: Math.min(1, Math.max(0, card.quality_score)) }),
      ...(reasoningFamily && { reasoning_family: reasoningFamily }),
    };
  });
  const defaults = doc.providers.defaults;
  const identity = pick(doc.global, ['services', 'authz', 'identity']) as Record<string, unknown> | undefined;
  const globalStrategy = pick(doc.global, ['router', 'strategy']);
  const looper = looperFromV03(doc.global);
  const routingStrategy = strategy ?? (typeof globalStrategy === 'string' ? globalStrategy : undefined);
  const knowledgeBases = pick(doc.global, ['model_catalog', 'kbs']);
  const externalModels = pick(doc.global, ['model_catalog', 'external']);
  return {
    version: 'v1',
    auto_model_names: autoModelNames(doc.global),
    default_model: defaults.default_model ?? defaults.model ?? doc.providers.models[0]?.name,
    // The peer reads these headers as set by Envoy's ext_authz: trusted headers, as docs/envoy-hardening.md sets up.
    ...(identity && {
      identity: {
        source: 'headers',
        ...(typeof identity.user_id_header === 'string' && { user_id_header: identity.user_id_header }),
        ...(typeof identity.user_groups_header === 'string' && {
          user_groups_header: identity.user_groups_header,
        }),
      },
    }),
    ...(looper && { looper }),
    pools,
    models,
    ...(defaults.reasoning_families && { reasoning_families: defaults.reasoning_families }),
    routing: { ...routing, ...(routingStrategy && { strategy: routingStrategy }) },
    ...(doc.entrypoints && { entrypoints: doc.entrypoints }),
    ...(doc.recipes && { recipes: doc.recipes }),
    ...(knowledgeBases !== undefined && { knowledge_bases: knowledgeBases }),
    // The peer's external LLMs (classifier, guardrail, preference roles): `classifiers` rules of type llm call them.
    ...(Array.isArray(externalModels) && { external_models: externalModels }),
  };
}
