// Token usage and errors as each LLM API reports them in a response body (whole JSON, or one SSE event's JSON).
import { isObject, type JsonObject } from '../request/apis/fields.ts';
import type { LlmApi } from '../request/apis/types.ts';

/** Tokens of one response, the same whatever API carried it. */
export interface TokenUsage {
  /** Every prompt token the model read, cached ones included (Anthropic: input + cache reads + cache writes). */
  readonly promptTokens: number;
  /** Generated tokens, reasoning tokens included (as OpenAI counts them). */
  readonly completionTokens: number;
  /** Prompt tokens served from the prompt (prefix) cache; a part of promptTokens. */
  readonly cachedPromptTokens: number;
  /** Reasoning tokens; a part of completionTokens (0 when the API does not say). */
  readonly reasoningTokens: number;
  /**
   * Prompt tokens written to the prompt cache (Anthropic's `cache_creation_input_tokens`), a part of promptTokens
   * that Anthropic bills at its own rate; absent for the APIs that do not report them.
   */
  readonly cacheWriteTokens?: number;
}

/** An error the upstream answered with; `message` may quote the prompt: log it only where prompt text may go. */
export interface ResponseError {
  /** The error's `type` (OpenAI, Anthropic), else its `code` (Responses events, vLLM), else `error`. */
  readonly type: string;
  /** At most MAX_ERROR_MESSAGE_CHARS characters of the upstream's message. */
  readonly message: string;
}

export const MAX_ERROR_MESSAGE_CHARS = 200;

/** A token count: a finite non-negative number, else undefined. */
function tokens(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function nested(object: JsonObject, key: string, field: string): number | undefined {
  const details = object[key];
  return isObject(details) ? tokens(details[field]) : undefined;
}

/** OpenAI's two spellings: chat/completions `prompt_tokens`…, Responses `input_tokens`…. */
function openAIUsage(usage: JsonObject, input: string, output: string): TokenUsage | undefined {
  const prompt = tokens(usage[`${input}_tokens`]);
  const completion = tokens(usage[`${output}_tokens`]);
  if (prompt === undefined && completion === undefined) return undefined;
  return {
    promptTokens: prompt ?? 0,
    completionTokens: completion ?? 0,
    cachedPromptTokens: nested(usage, `${input}_tokens_details`, 'cached_tokens') ?? 0,
    reasoningTokens: nested(usage, `${output}_tokens_details`, 'reasoning_tokens') ?? 0,
  };
}

/**
 * Anthropic's `input_tokens` counts only the tokens after the last cache breakpoint: cache reads and cache writes
 * come on top of it, so all three make the prompt; cache reads are the cached part.
 */
function anthropicUsage(usage: JsonObject): TokenUsage | undefined {
  const input = tokens(usage.input_tokens);
  const output = tokens(usage.output_tokens);
  if (input === undefined && output === undefined) return undefined;
  const cacheRead = tokens(usage.cache_read_input_tokens) ?? 0;
  const cacheWrite = tokens(usage.cache_creation_input_tokens) ?? 0;
  return {
    promptTokens: (input ?? 0) + cacheRead + cacheWrite,
    completionTokens: output ?? 0,
    cachedPromptTokens: cacheRead,
    reasoningTokens: 0,
    cacheWriteTokens: cacheWrite,
  };
}

/** An API's `usage` object (top level of a JSON answer, or inside a stream event); undefined when it has no counts. */
export function readUsage(api: LlmApi, usage: unknown): TokenUsage | undefined {
  if (!isObject(usage)) return undefined;
  switch (api) {
    case 'chat_completions':
    case 'completions':
      return openAIUsage(usage, 'prompt', 'completion');
    case 'responses':
      return openAIUsage(usage, 'input', 'output');
    case 'messages':
      return anthropicUsage(usage);
  }
}

/**
 * Two reports of the same response's usage (Anthropic's `message_start`, then `message_delta` whose counts are
 * cumulative): each count is the larger one. vLLM's `message_start` says 0 input tokens and its `message_delta` the
 * real number; Anthropic's `message_delta` may or may not repeat the input counts.
 */
export function mergeUsage(previous: TokenUsage | undefined, next: TokenUsage): TokenUsage {
  if (previous === undefined) return next;
  const merged: TokenUsage = {
    promptTokens: Math.max(previous.promptTokens, next.promptTokens),
    completionTokens: Math.max(previous.completionTokens, next.completionTokens),
    cachedPromptTokens: Math.max(previous.cachedPromptTokens, next.cachedPromptTokens),
    reasoningTokens: Math.max(previous.reasoningTokens, next.reasoningTokens),
  };
  if (previous.cacheWriteTokens === undefined && next.cacheWriteTokens === undefined) return merged;
  return {
    ...merged,
    cacheWriteTokens: Math.max(previous.cacheWriteTokens ?? 0, next.cacheWriteTokens ?? 0),
  };
}

/** Usage of a whole JSON answer of `api` (its top-level `usage`), or undefined when it reports none. */
export function usageFromJson(api: LlmApi, body: unknown): TokenUsage | undefined {
  return isObject(body) ? readUsage(api, body.usage) : undefined;
}

/** `message` cut to MAX_ERROR_MESSAGE_CHARS UTF-16 units, never between the halves of a surrogate pair. */
export function truncateMessage(message: string): string {
  if (message.length <= MAX_ERROR_MESSAGE_CHARS) return message;
  const cut = message.slice(0, MAX_ERROR_MESSAGE_CHARS);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

function label(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** An error object: `{type?, code?, message?}` (OpenAI, vLLM, Anthropic, Responses' `response.error`). */
export function readError(error: JsonObject): ResponseError {
  return {
    type: label(error.type) ?? label(error.code) ?? 'error',
    message: typeof error.message === 'string' ? truncateMessage(error.message) : '',
  };
}

/**
 * The error a whole JSON answer carries: OpenAI / vLLM `{error: {message, type, code}}`, Anthropic
 * `{type: 'error', error: {type, message}}`, a failed Responses object (`error: {code, message}`), and vLLM's older
 * top-level `{object: 'error', message, type, code}`. Every shape is accepted for every API: an upstream answers
 * errors in its own shape (vLLM's /v1/messages can answer OpenAI-shaped ones).
 */
export function errorFromJson(_api: LlmApi, body: unknown): ResponseError | undefined {
  if (!isObject(body)) return undefined;
  if (isObject(body.error)) return readError(body.error);
  if (body.object === 'error') return readError(body);
  return undefined;
}
