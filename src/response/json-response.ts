// A whole (BUFFERED) JSON answer of an LLM API: its token usage and error, or "not read" for anything else.
import type { LlmApi } from '../request/apis/types.ts';
import { type FinishReason, finishReasonFromJson } from './finish-reason.ts';
import { errorFromJson, type ResponseError, type TokenUsage, usageFromJson } from './usage.ts';

/** 8 MiB: a long completion with logprobs is a few MiB; JSON.parse of 8 MiB is tens of ms (see bench). */
export const DEFAULT_MAX_JSON_RESPONSE_BYTES = 8 * 1024 * 1024;

export interface JsonResponseOptions {
  /** Largest body read; a larger one is passed through unread. */
  readonly maxBytes?: number;
}

export interface JsonResponse {
  /** False when the body was not read: not JSON, compressed, too large or invalid. */
  readonly parsed: boolean;
  readonly usage?: TokenUsage;
  readonly error?: ResponseError;
  readonly finishReason?: FinishReason;
}

const NOT_PARSED: JsonResponse = { parsed: false };

// Default `ignoreBOM: false`: a leading BOM is dropped, as JSON readers may (RFC 8259 §8.1).
const utf8 = new TextDecoder('utf-8');

/** `application/json` or any `+json` type (`application/problem+json`), parameters ignored. */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  const type = (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** No content coding, or `identity`: the bytes are the body itself (RFC 9110 §8.4). */
export function isIdentityEncoding(contentEncoding: string | undefined): boolean {
  if (contentEncoding === undefined) return true;
  const coding = contentEncoding.trim().toLowerCase();
  return coding === '' || coding === 'identity';
}

/**
 * Reads the usage and error of a whole JSON answer. Only fixed paths of the parsed value are read (no walk over
 * it), and V8's JSON.parse is not recursive, so depth costs no stack. Compressed bodies (gzip, br, …) are not inflated: the router leaves
 * them to the client and counts them as unread.
 */
export function readJsonResponse(
  api: LlmApi,
  bytes: Uint8Array,
  contentType: string | undefined,
  contentEncoding: string | undefined,
  options: JsonResponseOptions = {},
): JsonResponse {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_JSON_RESPONSE_BYTES;
  if (!isJsonContentType(contentType) || !isIdentityEncoding(contentEncoding) || bytes.length > maxBytes) {
    return NOT_PARSED;
  }
  let body: unknown;
  try {
    body = JSON.parse(utf8.decode(bytes));
  } catch {
    return NOT_PARSED;
  }
  const usage = usageFromJson(api, body);
  const error = errorFromJson(api, body);
  const finishReason = finishReasonFromJson(api, body);
  return {
    parsed: true,
    ...(usage && { usage }),
    ...(error && { error }),
    ...(finishReason && { finishReason }),
  };
}
