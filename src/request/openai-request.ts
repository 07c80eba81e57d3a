// Request bodies: bytes → bounded-depth JSON object → the typed request of its API (src/request/apis/); `model` rewrite.
import { isUtf8 } from 'node:buffer';
import { bufferView } from '../buffer-view.ts';
import { InvalidRequestError } from '../errors.ts';
import { chatCompletionsApi } from './apis/chat-completions.ts';
import { completionsApi } from './apis/completions.ts';
import type { ParsedRequest } from './apis/types.ts';

export { apiForPath, LLM_APIS, parseLlmRequest } from './apis/index.ts';
export type { ChatMessage, LlmApi, ParsedRequest } from './apis/types.ts';

/**
 * Deepest object/array nesting a body may have. Real requests (tool schemas included) stay far below; the limit
 * keeps JSON.parse and every later walk over the value (JSON.stringify of the rewritten body) off deep recursion.
 */
export const DEFAULT_MAX_JSON_DEPTH = 64;

/**
 * The bytes as text when they are valid UTF-8, as a fatal TextDecoder reads them (a leading byte order mark
 * dropped); undefined otherwise. Validating first (SIMD) and decoding without checks is about twice as fast.
 */
function utf8Text(bytes: Uint8Array): string | undefined {
  if (!isUtf8(bytes)) return undefined;
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return bufferView(bytes).toString('utf8', bom);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Throws when objects/arrays nest deeper than `maxDepth`: one pass over the bytes, skipping string contents.
 * Byte-level is exact for UTF-8: `"` and `\` never occur inside a multi-byte sequence. Malformed JSON is left
 * to JSON.parse to report.
 */
function checkJsonDepth(bytes: Uint8Array, maxDepth: number): void {
  let depth = 0;
  const length = bytes.length;
  for (let i = 0; i < length; i++) {
    const byte = bytes[i];
    if (byte === QUOTE) {
      // Jump to the closing quote: the next quote preceded by an even number of backslashes.
      let end = i;
      for (;;) {
        end = bytes.indexOf(QUOTE, end + 1);
        if (end < 0) return;
        let backslashes = 0;
        while (bytes[end - 1 - backslashes] === BACKSLASH) backslashes++;
        if (backslashes % 2 === 0) break;
      }
      i = end;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > maxDepth) {
        throw new InvalidRequestError(
          `Request body nests objects/arrays deeper than the router's limit of ${maxDepth} levels`,
          'json_too_deep',
        );
      }
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
}

export interface DecodeJsonBodyOptions {
  /** Deepest object/array nesting accepted; default DEFAULT_MAX_JSON_DEPTH. */
  readonly maxDepth?: number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function decodeJsonBody(
  bytes: Uint8Array,
  options: DecodeJsonBodyOptions = {},
): Record<string, unknown> {
  const text = utf8Text(bytes);
  if (text === undefined)
    throw new InvalidRequestError('Request body is not valid UTF-8', 'invalid_encoding');
  checkJsonDepth(bytes, options.maxDepth ?? DEFAULT_MAX_JSON_DEPTH);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new InvalidRequestError(
      `Request body is not valid JSON: ${(cause as Error).message}`,
      'invalid_json',
      cause,
    );
  }
  if (!isObject(value)) throw new InvalidRequestError('Request body must be a JSON object', 'invalid_json');
  return value;
}

/**
 * Parses a chat completions body, or a legacy completions body on a `/v1/completions` path. Kept for callers
 * that route by path; new code names the API (`parseLlmRequest`).
 */
export function parseOpenAIRequest(
  body: Record<string, unknown>,
  path = '/v1/chat/completions',
): ParsedRequest {
  return (path.startsWith('/v1/completions') ? completionsApi : chatCompletionsApi).parse(body);
}

/** The body with `model` replaced, serialised as compact JSON. */
export function rewriteModel(request: ParsedRequest, providerModelId: string): Buffer {
  return Buffer.from(JSON.stringify({ ...request.body, model: providerModelId }), 'utf8');
}
