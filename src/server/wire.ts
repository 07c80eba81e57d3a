// Reading ext_proc request messages: header maps under limits. Answers are written by response-encoder.ts.
import { bufferView } from '../buffer-view.ts';
import type { HeaderMap, HeaderValue } from './ext-proc-messages.ts';

/** The bytes as UTF-8 text, without copying them first (protobufjs hands out Buffers under Node). */
const utf8Text = (bytes: Uint8Array): string => bufferView(bytes).toString('utf8');

export type Phase = 'request_headers' | 'request_body' | 'response_headers' | 'response_body';

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
  const headers = new Map<string, string>();
  // Repeated headers are rare: their values are gathered apart and joined once at the end.
  let repeated: Map<string, string[]> | undefined;
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
    const rawText = header.raw_text;
    const raw = header.raw_value;
    // raw_text is ASCII: its length is its byte count.
    const rawLength = rawText !== undefined ? rawText.length : (raw?.length ?? 0);
    bytes += header.key.length + (rawLength > 0 ? rawLength : (header.value?.length ?? 0));
    if (bytes > limits.maxBytes) {
      overLimit = `more than ${limits.maxBytes} bytes of headers`;
      break;
    }
    const value = rawLength === 0 ? (header.value ?? '') : (rawText ?? utf8Text(raw as Uint8Array));
    const name = header.key.toLowerCase();
    const previous = headers.get(name);
    if (previous === undefined) headers.set(name, value);
    else {
      repeated ??= new Map();
      const seen = repeated.get(name);
      if (seen === undefined) repeated.set(name, [previous, value]);
      else seen.push(value);
    }
  }
  if (repeated !== undefined) for (const [name, seen] of repeated) headers.set(name, seen.join(','));
  return overLimit === undefined ? { headers } : { headers, overLimit };
}
