// Every metric the router exports, with its label keys and the values a bounded label may take. Instruments are
// created under these exact names, so the OTLP name and the Prometheus name (/metrics) are the same string: the
// Prometheus exporter appends `_total` only to counters lacking it and never appends units. Durations are in
// seconds. Dashboards and alerts may reference only names and labels exported from this module.

export const METRIC = {
  /** Counter. Requests by how they were answered. Labels: decision, model, pool, response_path. */
  requests: 'router_requests_total',
  /**
   * Histogram, seconds. Router time per request: from the request-headers message to the router's answer to
   * the last request message (the routing answer). Labels: response_path.
   */
  requestDuration: 'router_request_duration_seconds',
  /** Histogram, seconds. Time per routing stage of a request. Labels: stage. */
  stageDuration: 'router_stage_duration_seconds',
  /** Histogram, seconds. Time per signal family evaluation (a family's share of the `signals` stage). Labels: family. */
  signalDuration: 'router_signal_duration_seconds',
  /** Counter. Signal rules that matched a request. Labels: family, signal. */
  signalMatches: 'router_signal_matches_total',
  /**
   * Counter. Decision leaves whose signal failed (error, timeout, text too long to scan), by the on_error applied:
   * `skip` (no match), `match` (fail closed), `fail` (503). Labels: family, action.
   */
  signalOnError: 'router_signal_on_error_total',
  /** Counter. Errors by reason (a stable code, see ERROR_REASON). Labels: reason. */
  errors: 'router_errors_total',
  /** Counter. Requests refused by a policy rate limit. Labels: limit (its name), reason (requests, tokens, concurrency). */
  rateLimited: 'router_rate_limited_total',
  /** Counter. Response cache lookups. Labels: outcome (exact_hit, semantic_hit, miss, skipped). */
  cacheLookups: 'router_cache_lookups_total',
  /** Histogram, seconds. Response cache lookup time (key, embedding, search). Labels: outcome. */
  cacheLookupDuration: 'router_cache_lookup_duration_seconds',
  /** Counter. Answers stored in the response cache. */
  cacheStores: 'router_cache_stores_total',
  /** Counter. Answers not stored: incomplete, cancelled, not 2xx, too large, not one text choice. */
  cacheRejected: 'router_cache_rejected_answers_total',
  /** Counter. Cache entries evicted to keep the store within its bounds. */
  cacheEvictions: 'router_cache_evictions_total',
  /** Counter. Failed reads and writes of cache entries shared through the state store. */
  cacheSharedErrors: 'router_cache_shared_errors_total',
  /** Gauge. Response cache entries held. */
  cacheEntries: 'router_cache_entries',
  /** Gauge, bytes. Estimated memory the cache entries hold. */
  cacheBytes: 'router_cache_bytes',
  /** Gauge (up-down counter). ext_proc streams open right now. No labels. */
  inflightStreams: 'router_inflight_streams',
  /** Gauge. Generation number of the live policy (1 at start, +1 per successful reload). No labels. */
  policyGeneration: 'router_policy_generation',
  /** Counter. Policy reload attempts. Labels: outcome. */
  policyReloads: 'router_policy_reloads_total',
  /**
   * Counter. Tokens the model reported in its answer's usage (JSON `usage`, or the SSE usage frame). Labels:
   * decision, model, pool, token_type (input, output, cached_input, reasoning; cached and reasoning tokens are also
   * counted in input and output).
   */
  tokens: 'router_tokens_total',
  /** Histogram, seconds. From the routing answer to the last response byte. Labels: model, pool, status_class. */
  upstreamDuration: 'router_upstream_duration_seconds',
  /** Histogram, seconds. From the routing answer to the first generated token of a streamed answer. Labels: model, pool. */
  timeToFirstToken: 'router_time_to_first_token_seconds',
  /** Histogram, seconds. Mean time per output token after the first, of a streamed answer. Labels: model, pool. */
  timePerOutputToken: 'router_time_per_output_token_seconds',
  /** Counter. Cost of the answered requests in the policy's currency (`response.cost_basis`). Labels: decision, model, pool. */
  cost: 'router_cost_total',
  /** Counter. Upstream answers by status class (2xx … 5xx) and body (`parsed`, or why not). Labels: model, pool, status_class, body. */
  upstreamResponses: 'router_upstream_responses_total',
  /** Gauge. Requests in flight on each pool, from the router's own accounting. Labels: pool. */
  poolInFlight: 'router_pool_in_flight',
  /** Gauge. 1 for the pool's current circuit-breaker state. Labels: pool, state (closed, open, half_open). */
  poolBreaker: 'router_pool_breaker_state',
  /** Gauge, seconds. EWMA of the pool's time to first token. Labels: pool. */
  poolTtft: 'router_pool_ewma_ttft_seconds',
  /** Gauge. Failed share of the pool's recent answers. Labels: pool. */
  poolErrorRate: 'router_pool_error_rate',
  /** Gauge. Requests waiting in the pool's model servers (scraped, fresh only). Labels: pool. */
  poolWaiting: 'router_pool_waiting_requests',
  /** Gauge, 0..1. KV-cache usage of the pool's model servers (scraped, fresh only). Labels: pool. */
  poolKvCache: 'router_pool_kv_cache_usage',
  /** Counter. Failed scrapes of the pool's metrics endpoint. Labels: pool. */
  poolScrapeFailures: 'router_pool_scrape_failures_total',
  /** Gauge. 1 while the policy's state_store backend answers; 0 while Redis is away (memory serves). Labels: backend. */
  stateStoreUp: 'router_state_store_up',
  /** Counter. Failed state store calls (timeouts, lost connections, error replies). Labels: backend. */
  stateStoreErrors: 'router_state_store_errors_total',
  /** OpenTelemetry GenAI semantic conventions, next to the router's own (dots become underscores in Prometheus). */
  genAiTokenUsage: 'gen_ai.client.token.usage',
  genAiOperationDuration: 'gen_ai.client.operation.duration',
  genAiTimeToFirstToken: 'gen_ai.server.time_to_first_token',
  genAiTimePerOutputToken: 'gen_ai.server.time_per_output_token',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

export const LABEL = {
  /** Winning decision; `explicit_model` when the client named a model, `default` when no decision matched. */
  decision: 'decision',
  /** Logical model name (x-selected-model); `none` when none was chosen. */
  model: 'model',
  /** Pool name (x-selected-pool's pool); `none` when none was chosen. */
  pool: 'pool',
  responsePath: 'response_path',
  stage: 'stage',
  /** Signal family key as written in the policy (`keywords`, `domains`, …). */
  family: 'family',
  /** Signal rule name from the policy. */
  signal: 'signal',
  reason: 'reason',
  /** Name of a policy rate limit (never a tenant, user or key). */
  limit: 'limit',
  outcome: 'outcome',
  tokenType: 'token_type',
  statusClass: 'status_class',
  /**
   * How the response body was read: `parsed`, `encoded` (compressed: passed through unread), `not_json`,
   * `too_large`, `invalid` (not JSON after all, or cut off), `none` (no body).
   */
  body: 'body',
  state: 'state',
  genAiTokenType: 'gen_ai.token.type',
  genAiRequestModel: 'gen_ai.request.model',
  genAiOperationName: 'gen_ai.operation.name',
  genAiProviderName: 'gen_ai.provider.name',
  /** on_error action: skip, match or fail. */
  action: 'action',
  /** state_store backend: memory or redis. */
  backend: 'backend',
} as const;

export type LabelKey = (typeof LABEL)[keyof typeof LABEL];

/** The label keys of each metric, in a fixed order. */
export const METRIC_LABELS: Readonly<Record<MetricName, readonly LabelKey[]>> = {
  [METRIC.requests]: [LABEL.decision, LABEL.model, LABEL.pool, LABEL.responsePath],
  [METRIC.requestDuration]: [LABEL.responsePath],
  [METRIC.stageDuration]: [LABEL.stage],
  [METRIC.signalDuration]: [LABEL.family],
  [METRIC.signalMatches]: [LABEL.family, LABEL.signal],
  [METRIC.signalOnError]: [LABEL.family, LABEL.action],
  [METRIC.errors]: [LABEL.reason],
  [METRIC.rateLimited]: [LABEL.limit, LABEL.reason],
  [METRIC.cacheLookups]: [LABEL.outcome],
  [METRIC.cacheLookupDuration]: [LABEL.outcome],
  [METRIC.cacheStores]: [],
  [METRIC.cacheRejected]: [],
  [METRIC.cacheEvictions]: [],
  [METRIC.cacheSharedErrors]: [],
  [METRIC.cacheEntries]: [],
  [METRIC.cacheBytes]: [],
  [METRIC.inflightStreams]: [],
  [METRIC.policyGeneration]: [],
  [METRIC.policyReloads]: [LABEL.outcome],
  [METRIC.tokens]: [LABEL.decision, LABEL.model, LABEL.pool, LABEL.tokenType],
  [METRIC.upstreamDuration]: [LABEL.model, LABEL.pool, LABEL.statusClass],
  [METRIC.timeToFirstToken]: [LABEL.model, LABEL.pool],
  [METRIC.timePerOutputToken]: [LABEL.model, LABEL.pool],
  [METRIC.cost]: [LABEL.decision, LABEL.model, LABEL.pool],
  [METRIC.upstreamResponses]: [LABEL.model, LABEL.pool, LABEL.statusClass, LABEL.body],
  [METRIC.poolInFlight]: [LABEL.pool],
  [METRIC.poolBreaker]: [LABEL.pool, LABEL.state],
  [METRIC.poolTtft]: [LABEL.pool],
  [METRIC.poolErrorRate]: [LABEL.pool],
  [METRIC.poolWaiting]: [LABEL.pool],
  [METRIC.poolKvCache]: [LABEL.pool],
  [METRIC.poolScrapeFailures]: [LABEL.pool],
  [METRIC.stateStoreUp]: [LABEL.backend],
  [METRIC.stateStoreErrors]: [LABEL.backend],
  [METRIC.genAiTokenUsage]: [
    LABEL.genAiOperationName,
    LABEL.genAiProviderName,
    LABEL.genAiRequestModel,
    LABEL.genAiTokenType,
  ],
  [METRIC.genAiOperationDuration]: [
    LABEL.genAiOperationName,
    LABEL.genAiProviderName,
    LABEL.genAiRequestModel,
  ],
  [METRIC.genAiTimeToFirstToken]: [
    LABEL.genAiOperationName,
    LABEL.genAiProviderName,
    LABEL.genAiRequestModel,
  ],
  [METRIC.genAiTimePerOutputToken]: [
    LABEL.genAiOperationName,
    LABEL.genAiProviderName,
    LABEL.genAiRequestModel,
  ],
};

/**
 * How a request was answered. `upstream`: routed to a model (the x-router-response-path value);
 * `blocked` / `fast_response` / `cache`: a plugin answered; `error`: the router answered with an error;
 * `passthrough`: sent on unrouted (not an LLM path, or fail-open after an internal error);
 * `local`: answered by the router itself (GET /v1/models).
 */
export const RESPONSE_PATHS = [
  'upstream',
  'blocked',
  'fast_response',
  'cache',
  'error',
  'passthrough',
  'local',
] as const;
export type MetricResponsePath = (typeof RESPONSE_PATHS)[number];

export const STAGES = [
  'parse',
  'signals',
  'decision',
  'model_selection',
  'plugins',
  'pool_selection',
] as const;
export type Stage = (typeof STAGES)[number];

/** Label values standing in for "no value" in the decision / model / pool labels. */
export const DECISION_EXPLICIT_MODEL = 'explicit_model';
export const DECISION_DEFAULT = 'default';
export const NONE = 'none';

/**
 * `reason` values of router_errors_total besides the error catalogue's codes (src/errors.ts, e.g.
 * `invalid_json`, `model_not_found`, `no_pool_available`, `internal_error`), which are used as they are.
 */
export const ERROR_REASON = {
  /** A signal family failed; the family matched nothing for that request. */
  signalError: 'signal_error',
  /** A signal family ran out of its time budget. */
  signalTimeout: 'signal_timeout',
  /** A signal family was given more text than `limits.max_scan_chars` and read none of it. */
  signalTooLong: 'signal_too_long',
  /** Envoy sent a ProcessingRequest with no phase the router knows (a newer Envoy): the stream is ended. */
  unknownMessage: 'unknown_message',
  /** The ext_proc gRPC stream failed (other than Envoy cancelling it). */
  streamError: 'stream_error',
  /** A large body was decoded on the event loop: its decoding worker failed, died or could not start. */
  bodyDecodeFallback: 'body_decode_fallback',
} as const;

export const RELOAD_OUTCOMES = ['success', 'failure'] as const;
export type ReloadOutcomeLabel = (typeof RELOAD_OUTCOMES)[number];

export const TOKEN_TYPES = ['input', 'output', 'cached_input', 'reasoning'] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];

/** `status_class` values: the upstream's HTTP status class, or `reset` when the stream ended without an answer. */
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'reset'] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

export const RESPONSE_BODY_KINDS = ['parsed', 'encoded', 'not_json', 'too_large', 'invalid', 'none'] as const;
export type ResponseBodyKind = (typeof RESPONSE_BODY_KINDS)[number];

export const BREAKER_STATES = ['closed', 'open', 'half_open'] as const;

/** gen_ai.token.type values (OpenTelemetry GenAI conventions). */
export const GEN_AI_TOKEN_TYPES = ['input', 'output'] as const;

/** Bucket bounds (seconds) of time to first token and upstream duration: 10 ms to 5 min. */
export const UPSTREAM_BUCKETS_SECONDS: readonly number[] = [
  0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160, 300,
];
/** Bucket bounds (seconds) of time per output token: 1 ms to 2.5 s. */
export const TPOT_BUCKETS_SECONDS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5,
];
/** Bucket bounds of gen_ai.client.token.usage (the GenAI conventions' advice). */
export const TOKEN_USAGE_BUCKETS: readonly number[] = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];

/** Bucket bounds (seconds) of the stage and signal histograms: 25 µs to 1 s. */
export const STAGE_BUCKETS_SECONDS: readonly number[] = [
  0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];
/** Bucket bounds (seconds) of router_request_duration_seconds: 100 µs to 5 s. */
export const REQUEST_BUCKETS_SECONDS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];
