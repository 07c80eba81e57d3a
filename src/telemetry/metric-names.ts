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
  /** Gauge (up-down counter). ext_proc streams open right now. No labels. */
  inflightStreams: 'router_inflight_streams',
  /** Gauge. Generation number of the live policy (1 at start, +1 per successful reload). No labels. */
  policyGeneration: 'router_policy_generation',
  /** Counter. Policy reload attempts. Labels: outcome. */
  policyReloads: 'router_policy_reloads_total',
  /** Counter. Tokens reported by the model's usage, by logical model. Labels: model, token_type. */
  tokens: 'router_tokens_total',
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
  outcome: 'outcome',
  tokenType: 'token_type',
  /** on_error action: skip, match or fail. */
  action: 'action',
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
  [METRIC.inflightStreams]: [],
  [METRIC.policyGeneration]: [],
  [METRIC.policyReloads]: [LABEL.outcome],
  [METRIC.tokens]: [LABEL.model, LABEL.tokenType],
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
} as const;

export const RELOAD_OUTCOMES = ['success', 'failure'] as const;
export type ReloadOutcomeLabel = (typeof RELOAD_OUTCOMES)[number];

export const TOKEN_TYPES = ['input', 'output'] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];

/** Bucket bounds (seconds) of the stage and signal histograms: 25 µs to 1 s. */
export const STAGE_BUCKETS_SECONDS: readonly number[] = [
  0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];
/** Bucket bounds (seconds) of router_request_duration_seconds: 100 µs to 5 s. */
export const REQUEST_BUCKETS_SECONDS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];
