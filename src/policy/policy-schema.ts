// Schema of the policy file: our `models` / `pools` sections around vLLM Semantic Router's v0.3 `routing` section.
import { z } from 'zod';
import { decisionFieldSchemas } from '../decisions/decision-fields.ts';
import { type LeafPredicate, leafPredicateSchema } from '../decisions/leaf-predicate.ts';
import { projectionsSchema } from '../decisions/projection-schema.ts';
import { POOL_STATE_DEFAULTS } from '../pools/pool-state.ts';
import { rateLimitsSchema } from '../rate-limits/rate-limit-schema.ts';
import { looperSettingsSchema } from '../selection/looper/looper-settings.ts';
import { externalModelSchema } from '../signals/external-models.ts';
import { knowledgeBasesSchema } from '../signals/kb/knowledge-base-schema.ts';
import { STATE_STORE_DEFAULTS, stateStoreSchema } from '../state/state-config.ts';
import { byteCountSchema, tokenCountSchema } from './units.ts';

const nameSchema = z.string().min(1, 'must not be empty');

/** The LLM APIs the router parses and routes. */
export const LLM_API_NAMES = ['chat_completions', 'completions', 'responses', 'messages'] as const;
export const llmApiSchema = z.enum(LLM_API_NAMES, {
  message: `must be one of ${LLM_API_NAMES.join(', ')}`,
});

/** Envoy cluster names: what x-selected-pool carries, so no spaces or control characters. */
const clusterNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]+$/, 'must be a valid Envoy cluster name (letters, digits, _ . : -)');

export const poolSchema = z.strictObject({
  name: clusterNameSchema,
  /** Envoy cluster that serves the pool; defaults to `name`. */
  envoy_cluster: clusterNameSchema.optional(),
  description: z.string().optional(),
  accelerator: z.string().optional(),
  max_context_tokens: tokenCountSchema,
  /** Relative cost of the pool (e.g. $ per GPU hour), used by cost-aware pool selection. */
  cost_per_hour: z.number().nonnegative().optional(),
  /** Where the pool's serving engine exposes load metrics (used by load-aware selection later). */
  metrics_endpoint: z.string().optional(),
  /**
   * A private pool (e.g. on premises) is reserved: only decisions whose models it serves (or those in
   * `reserved_for`) may use it; explicit model names and the default-model fallback never reach it.
   */
  private: z.boolean().optional(),
  /** Decisions allowed to use this pool; any other request is kept off it (implies reservation). */
  reserved_for: z
    .array(z.string().min(1))
    .min(1, 'list at least one decision, or omit reserved_for')
    .optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

/**
 * How a model's pool is chosen among those that fit (policy-wide, or per model): `strategy` names a registered
 * strategy (src/pools/strategies/) and the member of the same name holds its settings, e.g.
 * `{strategy: weighted, weighted: {weights: {l4-pool: 3, h100-pool: 1}}}`.
 */
export const poolSelectionSchema = z.object({ strategy: z.string().min(1).default('ordered') }).loose();

export type PoolSelectionDocument = z.infer<typeof poolSelectionSchema>;

export const pricingSchema = z.strictObject({
  currency: z.string().optional(),
  prompt_per_1m: z.number().nonnegative().optional(),
  completion_per_1m: z.number().nonnegative().optional(),
  cached_input_per_1m: z.number().nonnegative().optional(),
  cache_write_per_1m: z.number().nonnegative().optional(),
});

export const modelSchema = z.strictObject({
  name: nameSchema,
  /** Model id the serving engine knows (written into the body's `model`); defaults to `name`. */
  provider_model_id: z.string().min(1).optional(),
  description: z.string().optional(),
  /** Pools that serve this model, in order of preference. */
  pools: z.array(nameSchema).default([]),
  pricing: pricingSchema.optional(),
  context_window: tokenCountSchema.optional(),
  /** Relative answer quality in [0, 1], for quality-aware selection. */
  quality: z.number().min(0).max(1).optional(),
  reasoning_family: z.string().optional(),
  /** Other names clients may use for this model (e.g. the provider id). */
  aliases: z.array(nameSchema).optional(),
  /** The APIs the model's serving engine answers (default: all four). */
  apis: z.array(llmApiSchema).min(1, 'list at least one API, or omit apis').optional(),
  /** How this model's pool is chosen (default: the policy's `pool_selection`). */
  pool_selection: poolSelectionSchema.optional(),
  /**
   * Name a fallback pool for Envoy to retry a failed request on (`x-router-failover-cluster`, an aggregate
   * cluster `<primary>--<fallback>` in the Envoy config; see docs for the Envoy side).
   */
  failover: z.boolean().default(false),
});

/** What happens when the signal behind a rule or a decision leaf fails, times out or cannot read the whole text. */
export const onErrorSchema = z.enum(['skip', 'match', 'fail'], {
  message: 'on_error must be skip (no match), match (fail closed) or fail (answer 503)',
});

export type OnError = z.infer<typeof onErrorSchema>;

export const reasoningFamilySchema = z.strictObject({
  type: z.enum(['chat_template_kwargs', 'reasoning_effort', 'top_level_reasoning_effort']),
  parameter: nameSchema,
});

/** A leaf's on_error: the signal rule's values, and the peer's `no_match` (same as `skip`). */
export const leafOnErrorSchema = z
  .enum(['skip', 'no_match', 'match', 'fail'], {
    message: 'on_error must be skip or no_match (no match), match (fail closed) or fail (answer 503)',
  })
  .transform((value): OnError => (value === 'no_match' ? 'skip' : value));

export interface RawRuleNode {
  type?: string | undefined;
  name?: string | undefined;
  /** Leaf only: one label of a multi-label signal (the peer's classifier leaves). */
  label?: string | undefined;
  predicate?: LeafPredicate | undefined;
  operator?: string | undefined;
  conditions?: RawRuleNode[] | undefined;
  on_error?: OnError | undefined;
}

export const ruleNodeSchema: z.ZodType<RawRuleNode> = z.lazy(() =>
  z.strictObject({
    type: z.string().optional(),
    name: z.string().optional(),
    operator: z.string().optional(),
    conditions: z.array(ruleNodeSchema).optional(),
    label: z.string().min(1).optional(),
    /** Leaf only: bounds on the signal's score (`{gte: 0.5}`) instead of "the signal fired". */
    predicate: leafPredicateSchema.optional(),
    /** Leaf only: overrides the signal rule's on_error for this decision. */
    on_error: leafOnErrorSchema.optional(),
  }),
);

export const modelRefSchema = z.strictObject({
  model: nameSchema,
  use_reasoning: z.boolean().optional(),
  reasoning_effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max']).optional(),
  reasoning_description: z.string().optional(),
  lora_name: z.string().optional(),
  weight: z.number().nonnegative().optional(),
});

export const algorithmSchema = z
  .object({
    type: z.string().default('static'),
    on_error: z.string().optional(),
    seed: z.number().int().optional(),
  })
  .loose();

export const pluginSchema = z.strictObject({
  type: nameSchema,
  enabled: z.boolean().optional(),
  configuration: z.record(z.string(), z.unknown()).default({}),
});

export const decisionSchema = z.strictObject({
  name: nameSchema,
  description: z.string().optional(),
  priority: z.number().int().default(0),
  /** Lower tiers win over higher ones before priority is looked at (vLLM Semantic Router `tier`); 0 = untiered. */
  tier: z.number().int().nonnegative().default(0),
  /**
   * `always`: evaluated for every request, also when the client names a model, and ranked above every
   * decision that is not enforced (guardrails: blocks, privacy). `auto` (default): only when the router chooses.
   */
  enforce: z.enum(['auto', 'always'], { message: 'enforce must be auto or always' }).default('auto'),
  rules: ruleNodeSchema.optional(),
  modelRefs: z.array(modelRefSchema).min(1, 'a decision needs at least one modelRef'),
  algorithm: algorithmSchema.optional(),
  plugins: z.array(pluginSchema).default([]),
  ...decisionFieldSchemas,
});

export const routingSchema = z
  .object({
    /** Rules per signal family; each family validates its own rules. */
    signals: z.record(z.string(), z.array(z.unknown())).default({}),
    decisions: z.array(decisionSchema).default([]),
    strategy: z.enum(['priority', 'confidence']).default('priority'),
    /** v0.3 model catalogue: context windows and quality of the models named by providers. */
    modelCards: z.array(z.object({ name: nameSchema }).loose()).optional(),
    /** Partitions, scores and mappings (src/decisions/projection-schema.ts). */
    projections: projectionsSchema.optional(),
  })
  .strict();

/**
 * vLLM Semantic Router's `entrypoints`: request model names (virtual models) that select a routing profile.
 * `recipe: default` (when no recipe has that name) means the file's top-level `routing`.
 */
export const entrypointSchema = z.strictObject({
  model_names: z.array(nameSchema).min(1, 'list at least one model name'),
  recipe: nameSchema,
  description: z.string().optional(),
});

/** One routing profile (vLLM Semantic Router `recipes[]`): its own signals, decisions and strategy. */
export const recipeSchema = z.strictObject({
  name: nameSchema,
  description: z.string().optional(),
  routing: routingSchema.default({ signals: {}, decisions: [], strategy: 'priority' }),
});

/**
 * Where the caller's identity (for role_bindings) comes from. `metadata`: the verified claims Envoy's jwt_authn
 * (or ext_authz) filter forwards to ext_proc as dynamic metadata, which clients cannot forge. `headers`: headers
 * that Envoy sets after removing the client's copies (see docs/envoy-hardening.md). `none`: no identity.
 * Unless the source is `headers`, client-sent identity headers are removed and ignored.
 */
export const identitySchema = z.strictObject({
  source: z
    .enum(['none', 'headers', 'metadata'], { message: 'source must be none, headers or metadata' })
    .default('metadata'),
  user_id_header: z.string().min(1).default('x-authz-user-id'),
  user_groups_header: z.string().min(1).default('x-authz-user-groups'),
  /** Filter metadata namespace forwarded by ext_proc's metadata_options. */
  metadata_namespace: z.string().min(1).default('envoy.filters.http.jwt_authn'),
  /** Dotted path of the user id inside that namespace's struct. */
  user_id_path: z.string().min(1).default('jwt_payload.sub'),
  /** Dotted path of the groups (a list, or a comma- or space-separated string). */
  groups_path: z.string().min(1).default('jwt_payload.groups'),
});

export const IDENTITY_DEFAULTS = identitySchema.parse({});

/** What happens to paths that look like LLM APIs but are none of the routed ones. */
export const apiSchema = z.strictObject({
  /** `deny`: answer 404 unknown_endpoint; `passthrough`: let Envoy's default route have them unrouted. */
  unrouted_llm_paths: z
    .enum(['deny', 'passthrough'], { message: 'unrouted_llm_paths must be deny or passthrough' })
    .default('deny'),
  /** Normalised paths (or prefixes ending in `*`) that pass through unrouted whatever the setting above. */
  passthrough_paths: z.array(z.string().regex(/^\//, 'paths start with /')).default([]),
});

/** Bounds on what one request may cost the router. */
export const limitsSchema = z.strictObject({
  /** Deepest object/array nesting accepted in a request body (400 json_too_deep beyond). */
  max_json_depth: z.number().int().min(4).max(10_000).default(64),
  /** Request headers processed (431 headers_too_large beyond); Envoy's own default is 100. */
  max_request_headers: z.number().int().min(8).default(100),
  /** Total bytes of request header names and values (431 beyond); Envoy's own default is 60 KiB. */
  max_request_header_bytes: byteCountSchema.default(60 * 1024),
  /**
   * Characters a guard family (pii, jailbreak, keywords, structure) scans per request; a longer text applies the
   * family's on_error instead of being read in part.
   */
  max_scan_chars: tokenCountSchema.default(2_000_000),
  /** Time budget per signal family in ms: `default` and per family key (e.g. `jailbreak: 250`). */
  signal_budget_ms: z.record(z.string(), z.number().positive()).default({}),
});

export const LIMIT_DEFAULTS = limitsSchema.parse({});

/** When a pool's circuit breaker opens and how it recovers (src/pools/pool-state.ts). */
export const breakerSchema = z.strictObject({
  /** Consecutive failed requests (5xx, resets, timeouts) that open the breaker. */
  consecutive_failures: z.number().int().min(1).optional(),
  /** Failure ratio over the recent window that opens it (with at least `min_requests` in the window). */
  error_ratio: z
    .number()
    .gt(0)
    .lt(1, 'error_ratio must be below 1 (a ratio of 1 could never be exceeded)')
    .optional(),
  /** At most the window of recent outcomes the ratio is computed over. */
  min_requests: z
    .number()
    .int()
    .min(1)
    .max(
      POOL_STATE_DEFAULTS.errorWindow,
      `min_requests must not exceed the ${POOL_STATE_DEFAULTS.errorWindow}-outcome window`,
    )
    .optional(),
  /** How long it stays open first; doubles on each reopening up to `max_open_seconds`. */
  open_seconds: z.number().positive().optional(),
  max_open_seconds: z.number().positive().optional(),
  /** Probe requests let through at a time while half-open. */
  half_open_probes: z.number().int().min(1).optional(),
});

/** Scraping each pool's `metrics_endpoint` (vLLM, SGLang, TGI Prometheus metrics). */
export const scrapeSchema = z.strictObject({
  interval_seconds: z.number().positive().default(5),
  timeout_ms: z.number().int().positive().default(1000),
  /** Scraped figures older than this are ignored. */
  stale_seconds: z.number().positive().default(15),
});

/** What the response stage does with the upstream's answer. */
export const responseSchema = z.strictObject({
  /**
   * Read the answers' bodies (usage, time to first token, errors, cost). Off, the router sees only the status: it
   * asks Envoy not to send the body (`response_body_mode: NONE`), which saves one ext_proc message per streamed
   * chunk, and adds no `include_usage`.
   */
  read_body: z.boolean().default(true),
  /**
   * Add `stream_options.include_usage` to streamed chat / completions requests that lack it, so token usage is
   * known, and remove the extra usage frame from what the client receives.
   */
  include_usage: z.boolean().default(true),
  /** Envoy dynamic metadata namespace for model, pool, decision and tokens (access logs, rate limits). */
  dynamic_metadata_namespace: z.string().min(1).default('io.envoy.semantic_router'),
  /** One structured access-log line per request (decision, model, pool, tokens, timing, cost, status; no text). */
  access_log: z.boolean().default(false),
  /** Cost per request from the model's token `pricing`, or from the pool's `cost_per_hour` × upstream time. */
  cost_basis: z
    .enum(['tokens', 'gpu_time'], { message: 'cost_basis must be tokens or gpu_time' })
    .default('tokens'),
});

export const policySchema = z.strictObject({
  version: z.literal('v1'),
  description: z.string().optional(),
  /** Model names that mean "let the router choose". */
  auto_model_names: z.array(nameSchema).min(1).default(['auto']),
  /** Model used when no decision matches. */
  default_model: nameSchema,
  /** Where role_bindings reads the caller's identity from; never client-set headers unless `source: headers`. */
  identity: identitySchema.default(IDENTITY_DEFAULTS),
  api: apiSchema.default(apiSchema.parse({})),
  limits: limitsSchema.default(LIMIT_DEFAULTS),
  /** How a model's pool is chosen among those that fit, unless the model says otherwise. */
  pool_selection: poolSelectionSchema.default({ strategy: 'ordered' }),
  breaker: breakerSchema.default({}),
  scrape: scrapeSchema.default(scrapeSchema.parse({})),
  response: responseSchema.default(responseSchema.parse({})),
  /** Where state shared by replicas lives (learning state, feedback records): memory, or Redis. */
  state_store: stateStoreSchema.default(STATE_STORE_DEFAULTS),
  /** Per tenant / user / API key request, token and concurrency limits (docs/rate-limits.md). */
  rate_limits: rateLimitsSchema.optional(),
  /** Where looper algorithms (confidence, ratings, remom, fusion, workflows, prompt) send their model calls. */
  looper: looperSettingsSchema.optional(),
  pools: z.array(poolSchema).min(1, 'a policy needs at least one pool'),
  models: z.array(modelSchema).min(1, 'a policy needs at least one model'),
  reasoning_families: z.record(z.string(), reasoningFamilySchema).default({}),
  routing: routingSchema.default({ signals: {}, decisions: [], strategy: 'priority' }),
  /** Virtual model names that select a routing profile of `recipes`. */
  entrypoints: z.array(entrypointSchema).default([]),
  /** Routing profiles, each chosen by the request's model name through `entrypoints`. */
  recipes: z.array(recipeSchema).default([]),
  /** Knowledge bases the `kb` signal family reads (vLLM Semantic Router `global.model_catalog.kbs`). */
  knowledge_bases: knowledgeBasesSchema.default([]),
  /** External OpenAI-compatible models that label requests for `classifiers` rules of `type: llm`. */
  external_models: z
    .array(externalModelSchema)
    .refine(
      (models) => new Set(models.map((m) => m.name)).size === models.length,
      'external model names must differ',
    )
    .default([]),
});

export type PolicyDocument = z.infer<typeof policySchema>;
export type PoolDocument = z.infer<typeof poolSchema>;
export type ModelDocument = z.infer<typeof modelSchema>;
export type DecisionDocument = z.infer<typeof decisionSchema>;
export type ModelRefDocument = z.infer<typeof modelRefSchema>;
export type PluginDocument = z.infer<typeof pluginSchema>;
export type RoutingDocument = z.infer<typeof routingSchema>;
export type RecipeDocument = z.infer<typeof recipeSchema>;
export type EntrypointDocument = z.infer<typeof entrypointSchema>;
