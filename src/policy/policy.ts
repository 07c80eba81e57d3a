// The compiled, immutable policy the hot path reads: no YAML, no regex compilation, no lookups by string search.

import type { DecisionRule, DecisionStrategy } from '../decisions/decision-engine.ts';
import type { DecisionExtras } from '../decisions/decision-fields.ts';
import type { PolicyIssue } from '../errors.ts';
import type { DecisionPlugin } from '../plugins/plugin.ts';
import type { PoolCandidate } from '../pools/pool-selector.ts';
import type { PoolStateOptions } from '../pools/pool-state.ts';
import type { PoolStrategy } from '../pools/strategies/index.ts';
import type { CompiledRateLimits } from '../rate-limits/rate-limiter.ts';
import type { IdentitySettings } from '../request/identity.ts';
import type { LooperSettings } from '../selection/looper/looper-settings.ts';
import type { ModelCandidate, ModelSelector } from '../selection/model-selector.ts';
import type { SignalEngine } from '../signals/signal-engine.ts';
import type { StateStoreSettings } from '../state/state-config.ts';
import type { LLM_API_NAMES, PolicyDocument } from './policy-schema.ts';

export type LlmApiName = (typeof LLM_API_NAMES)[number];

export interface CompiledPool extends PoolCandidate {
  readonly accelerator: string | undefined;
  readonly costPerHour: number | undefined;
  readonly private: boolean;
  /** The model server's Prometheus metrics (vLLM, SGLang, TGI), scraped for live load. */
  readonly metricsEndpoint: string | undefined;
  /**
   * Decisions that may use the pool, when it is reserved (`private: true` or `reserved_for`): `reserved_for`, or
   * every decision whose models the pool serves. Undefined: any request may use it.
   */
  readonly reservedFor: ReadonlySet<string> | undefined;
}

export interface ReasoningFamily {
  readonly type: 'chat_template_kwargs' | 'reasoning_effort' | 'top_level_reasoning_effort';
  readonly parameter: string;
}

export interface CompiledModel {
  readonly name: string;
  readonly providerModelId: string;
  readonly pools: readonly CompiledPool[];
  readonly contextWindow: number | undefined;
  readonly reasoningFamily: ReasoningFamily | undefined;
  /** The APIs the model's serving engine answers. */
  readonly apis: ReadonlySet<LlmApiName>;
  /** Token prices per million (policy `pricing`). */
  readonly pricing: Pricing | undefined;
  /** Relative answer quality in [0, 1] (policy `quality`), for quality-aware selection. */
  readonly quality?: number | undefined;
  /** How this model's pool is chosen among those that may serve a request. */
  readonly poolStrategy: PoolStrategy;
  /** Envoy may retry a failed request on a fallback pool (`x-router-failover-cluster`). */
  readonly failover: boolean;
}

export interface Pricing {
  readonly currency: string | undefined;
  readonly promptPer1m: number | undefined;
  readonly completionPer1m: number | undefined;
  readonly cachedInputPer1m: number | undefined;
}

export interface CompiledModelRef extends ModelCandidate {
  readonly model: string;
  readonly useReasoning: boolean;
  readonly reasoningEffort: string | undefined;
  readonly weight: number;
  readonly loraName?: string;
}

export interface CompiledDecision extends DecisionRule {
  readonly enforced: boolean;
  readonly description: string | undefined;
  readonly modelRefs: readonly CompiledModelRef[];
  readonly selector: ModelSelector;
  readonly plugins: readonly DecisionPlugin[];
  /** The peer's decision-level fields this router keeps (adaptation mode, annotations, output contract). */
  readonly extras?: DecisionExtras;
}

/** How requests that are not one of the routed APIs are treated (policy `api`). */
export interface ApiSettings {
  readonly unroutedLlmPaths: 'deny' | 'passthrough';
  /** Exact normalised paths, and prefixes (from entries ending in `*`). */
  readonly passthroughPaths: ReadonlySet<string>;
  readonly passthroughPrefixes: readonly string[];
}

/** What the response stage does (policy `response`). */
export interface ResponseSettings {
  readonly readBody: boolean;
  readonly includeUsage: boolean;
  readonly dynamicMetadataNamespace: string;
  readonly accessLog: boolean;
  readonly costBasis: 'tokens' | 'gpu_time';
}

/** What one request may cost the router (policy `limits`). */
export interface RequestLimits {
  readonly maxJsonDepth: number;
  readonly maxRequestHeaders: number;
  readonly maxRequestHeaderBytes: number;
  readonly maxScanChars: number;
}

export interface PolicySource {
  readonly files: readonly string[];
  /** `v1` (this router's format) or `v0.3` (a vLLM Semantic Router file read directly). */
  readonly format: 'v1' | 'v0.3';
}

/** What routes a request that lets the router choose: the top-level `routing`, or one routing profile. */
export interface RoutingScope {
  readonly decisions: readonly CompiledDecision[];
  /** Decisions with `enforce: always`, in policy order: evaluated also when the client names a model. */
  readonly enforcedDecisions: readonly CompiledDecision[];
  /** Family keys the enforced decisions read (what an explicit-model request still evaluates). */
  readonly enforcedFamilies: ReadonlySet<string>;
  readonly strategy: DecisionStrategy;
  readonly signals: SignalEngine;
}

/** A routing profile (vLLM Semantic Router `recipes[]`) and the virtual model names (`entrypoints`) that select it. */
export interface RoutingProfile extends RoutingScope {
  readonly name: string;
  readonly description: string | undefined;
  readonly modelNames: readonly string[];
  /** True for `recipe: default`, which names the top-level routing. */
  readonly topLevel: boolean;
}

export interface Policy {
  readonly source: PolicySource;
  readonly autoModelNames: ReadonlySet<string>;
  readonly defaultModel: CompiledModel;
  readonly models: readonly CompiledModel[];
  /** Models by name, alias and provider model id. */
  readonly modelsByName: ReadonlyMap<string, CompiledModel>;
  readonly pools: readonly CompiledPool[];
  readonly decisions: readonly CompiledDecision[];
  /** Decisions with `enforce: always`, in policy order: evaluated also when the client names a model. */
  readonly enforcedDecisions: readonly CompiledDecision[];
  /** Family keys the enforced decisions read (what an explicit-model request still evaluates). */
  readonly enforcedFamilies: ReadonlySet<string>;
  readonly strategy: DecisionStrategy;
  readonly signals: SignalEngine;
  /** Routing profiles by the virtual model name that selects them (policy `entrypoints` and `recipes`). */
  readonly profiles: ReadonlyMap<string, RoutingProfile>;
  readonly identity: IdentitySettings;
  readonly api: ApiSettings;
  readonly limits: RequestLimits;
  readonly response: ResponseSettings;
  /** Circuit-breaker settings of the process's pool state (policy `breaker`). */
  readonly breaker: Omit<PoolStateOptions, 'now'>;
  /** Scraping of the pools' metrics endpoints (policy `scrape`), in ms. */
  readonly scrape: { readonly intervalMs: number; readonly timeoutMs: number; readonly staleAfterMs: number };
  /** Where state shared by replicas lives (policy `state_store`). */
  readonly stateStore: StateStoreSettings;
  /** Policy `rate_limits`; undefined when the policy has none. */
  readonly rateLimits?: CompiledRateLimits | undefined;
  /** Where looper algorithms send their model calls (policy `looper`); undefined when the policy names none. */
  readonly looper?: LooperSettings | undefined;
  readonly warnings: readonly PolicyIssue[];
  readonly document: PolicyDocument;
  close(): void;
}
