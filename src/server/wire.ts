// The only translation from the router's plain phase results to ext_proc ProcessingResponse messages.
import type { ContinueResult, HeaderPair, PhaseResult } from '../mutations.ts';
import type {
  CommonResponse,
  HeaderMap,
  HeaderMutation,
  HeaderValue,
  ProcessingRequestCase,
  ProcessingResponse,
} from './ext-proc-messages.ts';
import { dynamicMetadataStruct } from './proto-struct.ts';

export type Phase = 'request_headers' | 'request_body' | 'response_headers' | 'response_body';

function headerMutation(set: readonly HeaderPair[] | undefined, remove: readonly string[] | undefined) {
  const mutation: HeaderMutation = {};
  // Envoy rejects a HeaderValue that sets both `value` and `raw_value`: write raw_value only.
  if (set && set.length > 0) {
    mutation.set_headers = set.map(([key, value]) => ({
      header: { key, raw_value: Buffer.from(value, 'utf8') },
      append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
    }));
  }
  if (remove && remove.length > 0) mutation.remove_headers = [...remove];
  return mutation.set_headers || mutation.remove_headers ? mutation : undefined;
}

function commonResponse(result: ContinueResult): CommonResponse {
  const response: CommonResponse = {};
  const headers = headerMutation(result.setHeaders, result.removeHeaders);
  if (headers) response.header_mutation = headers;
  if (result.body !== undefined) {
    // CONTINUE_AND_REPLACE would skip later phases' processing; a body mutation with CONTINUE is what we mean.
    response.body_mutation = { body: result.body };
  } else if (result.clearBody) {
    response.body_mutation = { clear_body: true };
  }
  if (result.clearRouteCache) response.clear_route_cache = true;
  return response;
}

export function toProcessingResponse(phase: Phase, result: PhaseResult): ProcessingResponse {
  const metadata = result.dynamicMetadata && {
    dynamic_metadata: dynamicMetadataStruct(result.dynamicMetadata),
  };
  if (result.kind === 'immediate') {
    return {
      immediate_response: {
        status: { code: result.status },
        headers: headerMutation(result.headers, undefined) ?? {},
        body: result.body,
        details: result.details,
      },
      ...metadata,
    };
  }
  const response: ProcessingResponse = { [phase]: { response: commonResponse(result) }, ...metadata };
  if (result.modeOverride) {
    response.mode_override = {
      ...(result.modeOverride.requestBodyMode && { request_body_mode: result.modeOverride.requestBodyMode }),
      ...(result.modeOverride.responseBodyMode && {
        response_body_mode: result.modeOverride.responseBodyMode,
      }),
    };
  }
  return response;
}

/** A response to trailers: nothing to change. */
export function trailersResponse(
  kind: Extract<ProcessingRequestCase, `${string}_trailers`>,
): ProcessingResponse {
  return { [kind]: {} };
}

export interface HeaderLimits {
  /** Headers read; beyond, reading stops and `overLimit` says why. */
  readonly maxHeaders: number;
  /** Bytes of names and values read; beyond, reading stops. */
  readonly maxBytes: number;
}

const NO_LIMITS: HeaderLimits = { maxHeaders: Number.POSITIVE_INFINITY, maxBytes: Number.POSITIVE_INFINITY };

/**
 * Header list as lower-case name → value; `raw_value` (bytes) wins over `value`, as Envoy sends one or the other.
 * Repeated headers are joined with `,` (once, at the end: no quadratic concatenation). Reading stops at the limits,
 * so a request with 100,000 headers costs no more than one at the limit.
 */
export function readHeaderMap(
  map: HeaderMap | undefined,
  limits: HeaderLimits = NO_LIMITS,
  /** The deserializer decoded only part of the list (it had more headers than the limit). */
  truncated = false,
): { headers: Map<string, string>; overLimit?: string } {
  const values = new Map<string, string | string[]>();
  const list = map?.headers ?? [];
  let bytes = 0;
  let overLimit: string | undefined;
  if (truncated || list.length > limits.maxHeaders) {
    overLimit = truncated
      ? `more headers than the limit of ${limits.maxHeaders}`
      : `${list.length} headers, more than the limit of ${limits.maxHeaders}`;
  }
  const count = Math.min(list.length, limits.maxHeaders);
  for (let i = 0; i < count && overLimit === undefined; i++) {
    const header = list[i] as HeaderValue;
    if (typeof header.key !== 'string' || header.key.length === 0) continue;
    const raw = header.raw_value;
    bytes += header.key.length + (raw && raw.length > 0 ? raw.length : (header.value?.length ?? 0));
    if (bytes > limits.maxBytes) {
      overLimit = `more than ${limits.maxBytes} bytes of headers`;
      break;
    }
    const value = raw && raw.length > 0 ? Buffer.from(raw).toString('utf8') : (header.value ?? '');
    const name = header.key.toLowerCase();
    const previous = values.get(name);
    if (previous === undefined) values.set(name, value);
    else if (typeof previous === 'string') values.set(name, [previous, value]);
    else previous.push(value);
  }
  const headers = new Map<string, string>();
  for (const [name, value] of values) headers.set(name, typeof value === 'string' ? value : value.join(','));
  return overLimit === undefined ? { headers } : { headers, overLimit };
}
