// The only translation from the router's plain phase results to ext_proc ProcessingResponse messages.
import type { ContinueResult, HeaderPair, PhaseResult } from '../mutations.ts';
import type {
  CommonResponse,
  HeaderMap,
  HeaderMutation,
  ProcessingRequestCase,
  ProcessingResponse,
} from './ext-proc-messages.ts';

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
  if (result.kind === 'immediate') {
    return {
      immediate_response: {
        status: { code: result.status },
        headers: headerMutation(result.headers, undefined) ?? {},
        body: result.body,
        details: result.details,
      },
    };
  }
  const response: ProcessingResponse = { [phase]: { response: commonResponse(result) } };
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

/** Header list as lower-case name → value; `raw_value` (bytes) wins over `value`, as Envoy sends one or the other. */
export function readHeaderMap(map: HeaderMap | undefined): Map<string, string> {
  const headers = new Map<string, string>();
  for (const header of map?.headers ?? []) {
    if (typeof header.key !== 'string' || header.key.length === 0) continue;
    const raw = header.raw_value;
    const value = raw && raw.length > 0 ? Buffer.from(raw).toString('utf8') : (header.value ?? '');
    const name = header.key.toLowerCase();
    const previous = headers.get(name);
    headers.set(name, previous === undefined ? value : `${previous},${value}`);
  }
  return headers;
}
