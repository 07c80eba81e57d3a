// Streamed chat/completions report usage only when asked (`stream_options.include_usage`): the router asks for it.
import { isObject } from '../request/apis/fields.ts';
import type { LlmApi } from '../request/apis/types.ts';

/**
 * Whether a request body streams without asking for usage, so that the router must add the option to learn the
 * response's token counts. Only chat completions and completions need it: the Responses API and Anthropic Messages
 * always report usage in their final events.
 */
export function needsUsageOption(api: LlmApi, body: Readonly<Record<string, unknown>>): boolean {
  if (api !== 'chat_completions' && api !== 'completions') return false;
  if (body.stream !== true) return false;
  const options = body.stream_options;
  return !(isObject(options) && options.include_usage === true);
}

/**
 * Sets `stream_options.include_usage: true`, keeping the client's other stream options (e.g. vLLM's
 * `continuous_usage_stats`). The nested object is replaced, never changed in place: it may be shared with the
 * parsed request. The extra final chunk (`choices: []` with `usage`) is the one StreamResponseReader can strip.
 */
export function addUsageOption(body: Record<string, unknown>): void {
  const existing = isObject(body.stream_options) ? body.stream_options : {};
  body.stream_options = { ...existing, include_usage: true };
}
