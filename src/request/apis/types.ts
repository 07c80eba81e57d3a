// The contract every LLM API adapter implements: parse a body into one typed request, patch it, answer in its shape.
import type { HeaderPair, ImmediateResult } from '../../mutations.ts';

/** The LLM APIs the router parses: OpenAI chat completions, legacy completions, Responses; Anthropic Messages. */
export type LlmApi = 'chat_completions' | 'completions' | 'responses' | 'messages';

/** One turn of the conversation, whatever API carried it. */
export interface ChatMessage {
  /**
   * The API's role: `system` or `developer` for system prompts (Responses `instructions` and Anthropic `system`
   * are `system`; `developer` stays as sent so conversation rules can tell it apart); `tool` for every tool result.
   */
  readonly role: string;
  /** Natural-language text of the message; several text parts are joined by newlines. */
  readonly text: string;
  readonly imageCount: number;
  /** Tool (function) calls this message carries. */
  readonly toolCallCount: number;
  /** Names and arguments of the tool calls this message carries, one call per line (`name arguments`). */
  readonly toolText: string;
}

export interface ParsedRequest {
  readonly api: LlmApi;
  readonly model: string;
  /** The conversation in order, system prompts first where the API puts them first. */
  readonly messages: readonly ChatMessage[];
  readonly stream: boolean;
  /** Number of tools the client declared. */
  readonly toolCount: number;
  /** Names, descriptions and parameter schemas (JSON) of the declared tools, newline-separated. */
  readonly toolText: string;
  /** The output-token cap the client asked for, when it asked for one. */
  readonly maxOutputTokens: number | undefined;
  /** The request's `metadata` object (string values by the APIs' contracts; other JSON is tolerated). */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** The whole JSON body, untouched, so fields the router does not know survive the rewrite. */
  readonly body: Readonly<Record<string, unknown>>;
}

/** What an error answer says; a RouterError satisfies it. */
export interface ErrorAnswer {
  readonly httpStatus: number | undefined;
  readonly message: string;
  /** Stable router code (src/errors.ts), sent in the body where the API has a place for it and as a header. */
  readonly code: string;
  /** OpenAI error `type` (Anthropic answers derive theirs from the status). */
  readonly errorType: string;
}

/** How a model turns reasoning on: a chat-template switch (Qwen3 `enable_thinking`) or an effort level. */
export interface ReasoningFamily {
  readonly type: 'chat_template_kwargs' | 'reasoning_effort' | 'top_level_reasoning_effort';
  readonly parameter: string;
}

/** `replace` the client's system prompt, or `insert` ours before it. */
export type SystemPromptMode = 'replace' | 'insert';

/**
 * One LLM API. `parse` throws only InvalidRequestError, for any JSON object. The `apply*` methods change top-level
 * fields of a shallow copy of the parsed body (nested values are shared with `ParsedRequest.body`: replaced, never
 * mutated) and never throw.
 */
export interface LlmApiAdapter {
  readonly api: LlmApi;
  /** The path the API is served on (without query). */
  readonly path: string;
  parse(body: Record<string, unknown>): ParsedRequest;
  /** The output-token cap of a body, validated as `parse` does; undefined when the client set none. */
  maxOutputTokens(body: Readonly<Record<string, unknown>>): number | undefined;
  applySystemPrompt(body: Record<string, unknown>, prompt: string, mode: SystemPromptMode): void;
  applyReasoning(
    body: Record<string, unknown>,
    family: ReasoningFamily,
    useReasoning: boolean,
    effort: string | undefined,
  ): void;
  /** The error in the API's own error shape; the stable code also goes in `x-router-error-code`. */
  errorAnswer(error: ErrorAnswer, extraHeaders?: readonly HeaderPair[]): ImmediateResult;
  /** A complete assistant answer from the router itself, as JSON or as the API's own SSE sequence. */
  fastAnswer(
    model: string,
    message: string,
    stream: boolean,
    extraHeaders?: readonly HeaderPair[],
  ): ImmediateResult;
}
