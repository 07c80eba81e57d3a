// Anthropic Messages API (`POST /v1/messages`, also served by vLLM): top-level `system`, content blocks, tool_use.
import { InvalidRequestError } from '../../errors.ts';
import type { HeaderPair, ImmediateResult } from '../../mutations.ts';
import { answerId, errorHeaders, jsonAnswer, sseAnswer, sseFrame, textDeltas } from './answers.ts';
import {
  describe,
  isObject,
  type JsonObject,
  joinText,
  message,
  parsedRequest,
  readDeclaredTools,
  readModel,
  readTokenCap,
  toolCallLine,
} from './fields.ts';
import { combinedSystemContent, setChatTemplateKwarg } from './patches.ts';
import type {
  ChatMessage,
  ErrorAnswer,
  LlmApiAdapter,
  ParsedRequest,
  ReasoningFamily,
  SystemPromptMode,
} from './types.ts';

/** Text of a text-bearing block: `text`, a plain-text or custom-content `document`, a `search_result`. */
function blockText(block: JsonObject): string {
  switch (block.type) {
    case 'text':
      return typeof block.text === 'string' ? block.text : '';
    case 'document': {
      const source = block.source;
      if (!isObject(source)) return '';
      if (source.type === 'text' && typeof source.data === 'string') return source.data;
      if (source.type === 'content') return nestedText(source.content);
      return '';
    }
    case 'search_result':
      return nestedText(block.content);
    default:
      return '';
  }
}

/** Text of a one-level list of `text` blocks (or a string) inside a document or search result. */
function nestedText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const texts: string[] = [];
  for (const block of content) {
    if (isObject(block) && block.type === 'text' && typeof block.text === 'string') texts.push(block.text);
  }
  return joinText(texts);
}

/** A `tool_result` block's content: a string or a list of text / image / document blocks. */
function toolResultMessage(block: JsonObject): ChatMessage {
  const { content } = block;
  if (typeof content === 'string') return message('tool', content);
  const texts: string[] = [];
  let imageCount = 0;
  if (Array.isArray(content)) {
    for (const inner of content) {
      if (!isObject(inner)) continue;
      if (inner.type === 'image') imageCount++;
      else texts.push(blockText(inner));
    }
  }
  return message('tool', joinText(texts), imageCount);
}

/**
 * Roles a message may have: Anthropic's two, plus what vLLM's /v1/messages also takes (`system` messages, and
 * Claude Code's `ctx` / `msg`, which it reads as user turns). Anything else both reject, and so does the router.
 */
const ROLES: ReadonlyMap<string, string> = new Map([
  ['user', 'user'],
  ['assistant', 'assistant'],
  ['system', 'system'],
  ['ctx', 'user'],
  ['msg', 'user'],
]);

/**
 * One Anthropic message becomes its tool results (each a `tool` message, first: they answer the previous turn)
 * followed by the message itself. A user turn that only returns tool results adds no empty user message.
 */
function parseMessage(messages: ChatMessage[], raw: unknown, where: string): void {
  if (!isObject(raw) || typeof raw.role !== 'string') {
    throw new InvalidRequestError(`${where} must be an object with a string 'role'`);
  }
  const role = ROLES.get(raw.role);
  if (role === undefined) {
    throw new InvalidRequestError(
      `${where}.role must be 'user' or 'assistant' (got '${raw.role.slice(0, 40)}')`,
    );
  }
  const { content } = raw;
  if (typeof content === 'string') {
    messages.push(message(role, content));
    return;
  }
  if (!Array.isArray(content)) {
    throw new InvalidRequestError(
      `${where}.content must be a string or an array of content blocks (got ${describe(content)})`,
    );
  }
  const texts: string[] = [];
  const toolLines: string[] = [];
  let imageCount = 0;
  let toolResults = 0;
  content.forEach((block, index) => {
    if (!isObject(block)) return;
    switch (block.type) {
      case 'image':
        imageCount++;
        return;
      case 'tool_use':
      case 'server_tool_use':
        toolLines.push(toolCallLine(block.name, block.input, `${where}.content[${index}].input`));
        return;
      case 'tool_result':
        toolResults++;
        messages.push(toolResultMessage(block));
        return;
      default:
        // Thinking blocks are the model's own reasoning echoed back: not conversation text.
        texts.push(blockText(block));
    }
  });
  const text = joinText(texts);
  if (toolResults > 0 && text.length === 0 && imageCount === 0 && toolLines.length === 0) return;
  messages.push(message(role, text, imageCount, toolLines.length, joinText(toolLines)));
}

function systemText(system: unknown): string {
  if (system === undefined || system === null) return '';
  if (typeof system === 'string') return system;
  if (!Array.isArray(system)) {
    throw new InvalidRequestError(
      `'system' must be a string or an array of text blocks (got ${describe(system)})`,
    );
  }
  const texts: string[] = [];
  for (const block of system) if (isObject(block)) texts.push(blockText(block));
  return joinText(texts);
}

function parseMessages(body: JsonObject): ChatMessage[] {
  const messages: ChatMessage[] = [];
  const system = systemText(body.system);
  if (system.length > 0) messages.push(message('system', system));
  const raw = body.messages;
  if (!Array.isArray(raw)) throw new InvalidRequestError("'messages' must be an array", 'missing_messages');
  if (raw.length === 0) throw new InvalidRequestError("'messages' must not be empty", 'missing_messages');
  for (let i = 0; i < raw.length; i++) parseMessage(messages, raw[i], `messages[${i}]`);
  return messages;
}

/** `max_tokens` is required by Anthropic and by vLLM's /v1/messages, and must be at least 1. */
function maxOutputTokens(body: Readonly<JsonObject>): number | undefined {
  return readTokenCap(body, 'max_tokens');
}

function parse(body: JsonObject): ParsedRequest {
  const model = readModel(body);
  const messages = parseMessages(body);
  const maxTokens = maxOutputTokens(body);
  if (maxTokens === undefined || maxTokens < 1) {
    throw new InvalidRequestError("'max_tokens' is required and must be a positive integer");
  }
  return parsedRequest('messages', body, {
    model,
    messages,
    tools: readDeclaredTools(body),
    maxOutputTokens: maxTokens,
  });
}

/** Anthropic's system prompt is the top-level `system`: a string, or text blocks (ours goes first on insert). */
function applySystemPrompt(body: JsonObject, prompt: string, mode: SystemPromptMode): void {
  body.system = combinedSystemContent(body.system, prompt, mode);
}

/** Effort levels of Anthropic's `output_config.effort`, the only ones vLLM's /v1/messages validates. */
const ANTHROPIC_EFFORTS: ReadonlySet<string> = new Set(['low', 'medium', 'high', 'xhigh', 'max']);

/**
 * What an Anthropic-compatible vLLM understands: its /v1/messages maps `output_config.effort` to the chat
 * request's `reasoning_effort`, and passes its own `chat_template_kwargs` extension to the chat template.
 * Anthropic's `thinking: {type: 'enabled', budget_tokens}` is not written: vLLM's request model has no such
 * field (it is dropped), and a token budget is no translation of an effort level. Efforts outside Anthropic's
 * enum (OpenAI's `minimal`, `none`) are mapped onto it, since vLLM rejects unknown values with a 400.
 */
function applyReasoning(
  body: JsonObject,
  family: ReasoningFamily,
  useReasoning: boolean,
  effort: string | undefined,
): void {
  if (family.type === 'chat_template_kwargs') {
    setChatTemplateKwarg(body, family.parameter, useReasoning);
    return;
  }
  if (!useReasoning) return;
  const level =
    effort !== undefined && ANTHROPIC_EFFORTS.has(effort)
      ? effort
      : effort === 'minimal' || effort === 'none'
        ? 'low'
        : 'medium';
  const existing = isObject(body.output_config) ? body.output_config : {};
  body.output_config = { ...existing, effort: level };
}

/** Anthropic's error `type` for an HTTP status (https://docs.anthropic.com/en/api/errors). */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
    case 405:
    case 431:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    default:
      return 'api_error';
  }
}

function errorAnswer(error: ErrorAnswer, extraHeaders: readonly HeaderPair[] = []): ImmediateResult {
  const status = error.httpStatus ?? 500;
  return jsonAnswer(
    status,
    { type: 'error', error: { type: anthropicErrorType(status), message: error.message } },
    `semantic_router_${error.code}`,
    errorHeaders(error, extraHeaders),
  );
}

export interface AnthropicMessageOptions {
  readonly id: string;
  readonly model: string;
  readonly text: string;
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number };
}

export function anthropicMessage(options: AnthropicMessageOptions): JsonObject {
  return {
    id: options.id,
    type: 'message',
    role: 'assistant',
    model: options.model,
    content: [{ type: 'text', text: options.text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: options.usage.inputTokens, output_tokens: options.usage.outputTokens },
  };
}

/**
 * Anthropic's stream for one text block: message_start, content_block_start, text_delta blocks,
 * content_block_stop, message_delta (stop reason, output usage), message_stop.
 */
export function anthropicEvents(options: AnthropicMessageOptions): { event: string; data: JsonObject }[] {
  const events: { event: string; data: JsonObject }[] = [];
  const emit = (type: string, fields: JsonObject = {}) =>
    events.push({ event: type, data: { type, ...fields } });
  emit('message_start', {
    message: {
      ...anthropicMessage(options),
      content: [],
      stop_reason: null,
      usage: { input_tokens: options.usage.inputTokens, output_tokens: 0 },
    },
  });
  emit('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
  for (const text of textDeltas(options.text)) {
    emit('content_block_delta', { index: 0, delta: { type: 'text_delta', text } });
  }
  emit('content_block_stop', { index: 0 });
  emit('message_delta', {
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: options.usage.outputTokens },
  });
  emit('message_stop');
  return events;
}

function fastAnswer(
  model: string,
  text: string,
  stream: boolean,
  extraHeaders: readonly HeaderPair[] = [],
): ImmediateResult {
  const options = { id: answerId('msg_'), model, text, usage: { inputTokens: 0, outputTokens: 0 } };
  if (!stream)
    return jsonAnswer(200, anthropicMessage(options), 'semantic_router_fast_response', extraHeaders);
  const frames = anthropicEvents(options).map(({ event, data }) => sseFrame(event, data));
  return sseAnswer(frames, 'semantic_router_fast_response', extraHeaders);
}

export const anthropicMessagesApi: LlmApiAdapter = {
  api: 'messages',
  path: '/v1/messages',
  parse,
  maxOutputTokens,
  applySystemPrompt,
  applyReasoning,
  errorAnswer,
  fastAnswer,
};
