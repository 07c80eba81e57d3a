// Every HTTP header name the router reads or writes, in one place (lower case, as Envoy delivers them).

export const HEADER = {
  selectedModel: 'x-selected-model',
  selectedPool: 'x-selected-pool',
  routerDecision: 'x-router-decision',
  routerModel: 'x-router-model',
  routerPool: 'x-router-pool',
  routerConfidence: 'x-router-confidence',
  routerResponsePath: 'x-router-response-path',
  routerSignals: 'x-router-signals',
  /** With x-router-debug: the selection algorithm, its reason and each candidate's score and parts. */
  routerSelection: 'x-router-selection',
  /** `<primary cluster>--<fallback cluster>`: Envoy's aggregate cluster that retries a failed request on the fallback. */
  routerFailoverCluster: 'x-router-failover-cluster',
  /** Set by Envoy on responses: the pool cluster that actually answered (after a failover retry, the fallback). */
  routerUpstreamCluster: 'x-router-upstream-cluster',
  /** Set by Envoy on responses: upstream attempts made (more than 1: the first attempt failed and was retried). */
  routerUpstreamAttempts: 'x-router-upstream-attempts',
  /** Stable error code of a router answer (docs/errors.md), in every API's error shape. */
  routerErrorCode: 'x-router-error-code',
  /** Anthropic SDKs send it: answers to paths that name no API use Anthropic's shapes. */
  anthropicVersion: 'anthropic-version',
  routerDebug: 'x-router-debug',
  /** Explicit feedback on an earlier answer: its x-request-id and a score in [0, 1] (consumed, never sent upstream). */
  routerFeedbackRequestId: 'x-router-feedback-request-id',
  routerFeedbackScore: 'x-router-feedback-score',
  /** On the response to a request that carried feedback: `accepted`, or `rejected: <code>`. */
  routerFeedback: 'x-router-feedback',
  /** vLLM Semantic Router's response-check headers (its v0.3 names), set by response_jailbreak and hallucination. */
  vsrResponseJailbreakDetected: 'x-vsr-response-jailbreak-detected',
  vsrResponseJailbreakType: 'x-vsr-response-jailbreak-type',
  vsrResponseJailbreakConfidence: 'x-vsr-response-jailbreak-confidence',
  vsrHallucinationDetected: 'x-vsr-hallucination-detected',
  vsrHallucinationSpans: 'x-vsr-hallucination-spans',
  vsrFactCheckNeeded: 'x-vsr-fact-check-needed',
  vsrUnverifiedFactualResponse: 'x-vsr-unverified-factual-response',
  vsrVerificationContextMissing: 'x-vsr-verification-context-missing',
  /** The router_replay record of this answer (GET /replay/<id> on the admin port), the peer's name. */
  vsrReplayId: 'x-vsr-replay-id',
  requestId: 'x-request-id',
  contentLength: 'content-length',
  contentType: 'content-type',
  contentEncoding: 'content-encoding',
  retryAfter: 'retry-after',
  path: ':path',
  method: ':method',
  authority: ':authority',
  traceparent: 'traceparent',
} as const;

/** Request headers a client must not be able to set: they steer routing or claim to come from the router. */
export const SPOOFABLE_HEADER_PREFIXES: readonly string[] = ['x-selected-', 'x-router-'];

/** Headers kept despite the prefix rule because clients legitimately send them. */
export const CLIENT_ALLOWED_ROUTER_HEADERS: ReadonlySet<string> = new Set([
  HEADER.routerDebug,
  // Explicit feedback on an earlier answer (docs/selection-online.md): read by the router, never sent upstream.
  HEADER.routerFeedbackRequestId,
  HEADER.routerFeedbackScore,
]);

export type ResponsePath = 'upstream' | 'cache' | 'blocked' | 'fast_response' | 'error';
