// Schema of the policy file: our `models` / `pools` sections around vLLM Semantic Router's v0.3 `routing` section.
import { z } from 'zod';
import { tokenCountSchema } from './units.ts';

const nameSchema = z.string().min(1, 'must not be empty');

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
  /** Keeps requests that must stay on premises from leaving: informative for now. */
  private: z.boolean().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

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
});

export const reasoningFamilySchema = z.strictObject({
  type: z.enum(['chat_template_kwargs', 'reasoning_effort']),
  parameter: nameSchema,
});

export interface RawRuleNode {
  type?: string | undefined;
  name?: string | undefined;
  operator?: string | undefined;
  conditions?: RawRuleNode[] | undefined;
}

export const ruleNodeSchema: z.ZodType<RawRuleNode> = z.lazy(() =>
  z.strictObject({
    type: z.string().optional(),
    name: z.string().optional(),
    operator: z.string().optional(),
    conditions: z.array(ruleNodeSchema).optional(),
  }),
);

export const modelRefSchema = z.strictObject({
  model: nameSchema,
  use_reasoning: z.boolean().optional(),
  reasoning_effort: z.enum(['minimal', 'low', 'medium', 'high']).optional(),
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
  rules: ruleNodeSchema.optional(),
  modelRefs: z.array(modelRefSchema).min(1, 'a decision needs at least one modelRef'),
  algorithm: algorithmSchema.optional(),
  plugins: z.array(pluginSchema).default([]),
});

export const routingSchema = z
  .object({
    /** Rules per signal family; each family validates its own rules. */
    signals: z.record(z.string(), z.array(z.unknown())).default({}),
    decisions: z.array(decisionSchema).default([]),
    strategy: z.enum(['priority', 'confidence']).default('priority'),
    /** v0.3 model catalogue: context windows and quality of the models named by providers. */
    modelCards: z.array(z.object({ name: nameSchema }).loose()).optional(),
    projections: z.unknown().optional(),
  })
  .strict();

export const identitySchema = z.strictObject({
  user_id_header: z.string().min(1).default('x-authz-user-id'),
  user_groups_header: z.string().min(1).default('x-authz-user-groups'),
});

export const policySchema = z.strictObject({
  version: z.literal('v1'),
  description: z.string().optional(),
  /** Model names that mean "let the router choose". */
  auto_model_names: z.array(nameSchema).min(1).default(['auto']),
  /** Model used when no decision matches. */
  default_model: nameSchema,
  /** Trusted identity headers (set by Envoy's ext_authz / JWT filters) read by `role_bindings`. */
  identity: identitySchema.default({
    user_id_header: 'x-authz-user-id',
    user_groups_header: 'x-authz-user-groups',
  }),
  pools: z.array(poolSchema).min(1, 'a policy needs at least one pool'),
  models: z.array(modelSchema).min(1, 'a policy needs at least one model'),
  reasoning_families: z.record(z.string(), reasoningFamilySchema).default({}),
  routing: routingSchema.default({ signals: {}, decisions: [], strategy: 'priority' }),
});

export type PolicyDocument = z.infer<typeof policySchema>;
export type PoolDocument = z.infer<typeof poolSchema>;
export type ModelDocument = z.infer<typeof modelSchema>;
export type DecisionDocument = z.infer<typeof decisionSchema>;
export type ModelRefDocument = z.infer<typeof modelRefSchema>;
export type PluginDocument = z.infer<typeof pluginSchema>;
