// Span names and attribute keys. `gen_ai.*` follow the OpenTelemetry GenAI semantic conventions (defined here
// because @opentelemetry/semantic-conventions ships them only from its unstable entry point); the rest of what
// the router knows lives under `router.*`, documented in docs/observability.md.

// GenAI semantic conventions (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/).
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
/** Chat history as JSON; only recorded when prompt recording is switched on. */
export const ATTR_GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages';

export const GEN_AI_OPERATION = { chat: 'chat', textCompletion: 'text_completion' } as const;

// General semantic conventions (stable).
export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const ATTR_URL_PATH = 'url.path';

// The router's own namespace.
export const ATTR_ROUTER_RESPONSE_PATH = 'router.response_path';
export const ATTR_ROUTER_EXPLICIT_MODEL = 'router.request.explicit_model';
export const ATTR_ROUTER_STREAM = 'router.request.stream';
export const ATTR_ROUTER_MESSAGES = 'router.request.messages';
/** Prompt tokens as the router estimates them (no tokenizer): known before the model answers. */
export const ATTR_ROUTER_ESTIMATED_TOKENS = 'router.request.estimated_tokens';
/** Estimated prompt tokens plus the requested completion budget: what a pool's context must hold. */
export const ATTR_ROUTER_REQUIRED_TOKENS = 'router.request.required_tokens';
export const ATTR_ROUTER_DECISION_NAME = 'router.decision.name';
export const ATTR_ROUTER_DECISION_CONFIDENCE = 'router.decision.confidence';
/** Decisions whose rules matched (the winner included). */
export const ATTR_ROUTER_DECISION_MATCHED = 'router.decision.matched';
/** Matched signals as `type:name` (e.g. `keyword:code`), what decision rules reference. */
export const ATTR_ROUTER_SIGNALS_MATCHED = 'router.signals.matched';
export const ATTR_ROUTER_SIGNAL_FAMILY = 'router.signal.family';
/** Why a signal family produced no result: `error`, `timeout` or `too_long`. */
export const ATTR_ROUTER_SIGNAL_FAILURE = 'router.signal.failure';
/** Decision leaves whose signal failed, as `type:name=action` (skip, match, fail). */
export const ATTR_ROUTER_SIGNALS_ON_ERROR = 'router.signals.on_error';
/** Policy rate limits the request was counted against, or the one that refused it. */
export const ATTR_ROUTER_RATE_LIMIT = 'router.rate_limit';
/** Why a rate limit refused the request: requests, tokens or concurrency. */
export const ATTR_ROUTER_RATE_LIMIT_REASON = 'router.rate_limit.reason';
/** The winning decision has `enforce: always` (a guardrail that applies whatever model the client names). */
export const ATTR_ROUTER_DECISION_ENFORCED = 'router.decision.enforced';
export const ATTR_ROUTER_MODEL_NAME = 'router.model.name';
export const ATTR_ROUTER_MODEL_PROVIDER_ID = 'router.model.provider_id';
/** The decision's model-selection algorithm (`static`, `latency_aware`, `multi_factor`, …). */
export const ATTR_ROUTER_SELECTION_ALGORITHM = 'router.selection.algorithm';
/** The algorithm's one-line reason for its choice (model names and figures only, never request text). */
export const ATTR_ROUTER_SELECTION_REASON = 'router.selection.reason';
/** Candidates the algorithm scored, in the decision's order; the next three lists run parallel to it. */
export const ATTR_ROUTER_SELECTION_CANDIDATES = 'router.selection.candidates';
/** Each candidate's score (higher is better, on the algorithm's scale). */
export const ATTR_ROUTER_SELECTION_SCORES = 'router.selection.scores';
/** Each candidate's score parts as `name:value` pairs separated by spaces ('' when none). */
export const ATTR_ROUTER_SELECTION_PARTS = 'router.selection.parts';
/** Why each candidate could not be chosen ('' when it could). */
export const ATTR_ROUTER_SELECTION_EXCLUDED = 'router.selection.excluded';
export const ATTR_ROUTER_POOL_NAME = 'router.pool.name';
export const ATTR_ROUTER_POOL_CLUSTER = 'router.pool.cluster';
/** On a failed `router.plugins` span: the plugin that threw. */
export const ATTR_ROUTER_PLUGIN_TYPE = 'router.plugin.type';
/** Applied request plugins in order; the next two lists run parallel to it. */
export const ATTR_ROUTER_PLUGIN_TYPES = 'router.plugin.types';
/** Each plugin's effect: `respond` (answered the client), `rewrite` (changed the request) or `''` (none). */
export const ATTR_ROUTER_PLUGIN_EFFECTS = 'router.plugin.effects';
export const ATTR_ROUTER_PLUGIN_DURATIONS_MS = 'router.plugin.durations_ms';
/** Evaluated signal families in the policy's order; `router.signal.durations_ms` runs parallel to it. */
export const ATTR_ROUTER_SIGNAL_FAMILIES = 'router.signal.families';
export const ATTR_ROUTER_SIGNAL_DURATIONS_MS = 'router.signal.durations_ms';
/** Failed families as `family=failure` (`error`, `timeout`, `too_long`); absent when none failed. */
export const ATTR_ROUTER_SIGNAL_FAILURES = 'router.signal.failures';
/** Time each routing stage took, ms: `router.stage.<stage>.ms`. */
export const ATTR_ROUTER_STAGE_MS = {
  parse: 'router.stage.parse.ms',
  signals: 'router.stage.signals.ms',
  decision: 'router.stage.decision.ms',
  model_selection: 'router.stage.model_selection.ms',
  plugins: 'router.stage.plugins.ms',
  pool_selection: 'router.stage.pool_selection.ms',
} as const;
/** The upstream answered with server-sent events (response body switched to STREAMED). */
export const ATTR_ROUTER_RESPONSE_STREAMING = 'router.response.streaming';
/** The answer's body was read to its end (false: the stream broke off). */
export const ATTR_ROUTER_RESPONSE_COMPLETE = 'router.response.complete';
/** How the body was read: parsed, encoded, not_json, invalid, none. */
export const ATTR_ROUTER_RESPONSE_BODY = 'router.response.body';
/** From the routing answer to the last response byte, ms. */
export const ATTR_ROUTER_UPSTREAM_LATENCY_MS = 'router.upstream.latency_ms';
export const ATTR_ROUTER_TTFT_MS = 'router.response.ttft_ms';
export const ATTR_ROUTER_TPOT_MS = 'router.response.tpot_ms';
/** Cost of the request in the policy's currency (`response.cost_basis`). */
export const ATTR_ROUTER_COST = 'router.response.cost';

export const INSTRUMENTATION_SCOPE = 'semantic-router';
export const INSTRUMENTATION_VERSION = '0.1.0';

/**
 * The stream span and its upstream-response child; a stage span exists only for the stage that threw, a
 * `router.signal.<family>` span only for a family that failed (both children of the stream span).
 */
export const SPAN = {
  stream: 'router.ext_proc',
  parse: 'router.parse',
  signals: 'router.signals',
  /** A failed family: `router.signal.<family>`. */
  signalPrefix: 'router.signal.',
  decision: 'router.decision',
  modelSelection: 'router.model_selection',
  poolSelection: 'router.pool_selection',
  plugins: 'router.plugins',
  upstreamResponse: 'router.upstream_response',
} as const;
