// Every header name the stub reads or writes.

/**
 * Request headers that override the settings for one request. For tests only: a real model server has no such
 * headers, and nothing outside tests may send them (the router forwards client headers to the upstream).
 */
export const STUB_REQUEST_HEADER = {
  /** Milliseconds to the first token for this request. */
  ttftMs: 'x-stub-ttft-ms',
  /** `completionTokens` for this request. */
  tokens: 'x-stub-tokens',
  /** Answer with this status: 400..599 fails the request with it, 200 exempts it from every fault. */
  status: 'x-stub-status',
} as const;

/** Response headers the stub adds to every answer of an LLM API. */
export const STUB_RESPONSE_HEADER = {
  pool: 'x-stub-pool',
  model: 'x-stub-model',
  /** The `x-selected-pool` the request arrived with: shows the router's headers reached the upstream. */
  selectedPool: 'x-stub-selected-pool',
} as const;
