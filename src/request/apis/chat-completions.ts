// OpenAI chat completions (`POST /v1/chat/completions`): `messages` with text/image parts, tool calls and results.
import { InvalidRequestError } from '../../errors.ts';
import type { HeaderPair, ImmediateResult } from '../../mutations.ts';
import {
  answerId,
  jsonAnswer,
  openAIErrorAnswer,
  sseAnswer,
  sseFrame,
  textDeltas,
  unixSeconds,
} from './answers.ts';
import {
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
import { applyTopLevelReasoning, combinedSystemContent } from './patches.ts';
import type { ChatMessage, LlmApiAdapter, ParsedRequest, SystemPromptMode } from './types.ts';

/** Part types whose `text` the model reads (vLLM also accepts the Responses-style names in chat). */
const TEXT_PART_TYPES: ReadonlySet<string> = new Set(['text', 'input_text', 'output_text']);
const IMAGE_PART_TYPES: ReadonlySet<string> = new Set(['image_url', 'input_image', 'image']);

function parseContent(content: unknown, where: string): { text: string; imageCount: number } {
  if (content === undefined || content === null) return { text: '', imageCount: 0 };
  if (typeof content === 'string') return { text: content, imageCount: 0 };
  if (!Array.isArray(content)) {
    throw new InvalidRequestError(`${where}.content must be a string or an array of parts`);
  }
  const texts: string[] = [];
  let imageCount = 0;
  for (const part of content) {
    if (!isObject(part) || typeof part.type !== 'string') continue;
    if (TEXT_PART_TYPES.has(part.type) && typeof part.text === 'string') texts.push(part.text);
    else if (part.type === 'refusal' && typeof part.refusal === 'string') texts.push(part.refusal);
    else if (IMAGE_PART_TYPES.has(part.type)) imageCount++;
  }
  return { text: joinText(texts), imageCount };
}

/** `name arguments` lines of an assistant message's `tool_calls` (and the deprecated `function_call`). */
function toolCallsOf(raw: JsonObject, where: string): { count: number; text: string } {
  const lines: string[] = [];
  let count = 0;
  if (Array.isArray(raw.tool_calls)) {
    raw.tool_calls.forEach((call, index) => {
      count++;
      if (!isObject(call)) return;
      const at = `${where}.tool_calls[${index}]`;
      if (isObject(call.function)) lines.push(toolCallLine(call.function.name, call.function.arguments, at));
      else if (isObject(call.custom)) lines.push(toolCallLine(call.custom.name, call.custom.input, at));
    });
  }
  if (isObject(raw.function_call)) {
    count++;
    lines.push(toolCallLine(raw.function_call.name, raw.function_call.arguments, `${where}.function_call`));
  }
  return { count, text: joinText(lines) };
}

function roleOf(role: string): string {
  // The deprecated `function` role carries a function's result, like `tool`.
  if (role === 'function') return 'tool';
  return role;
}

/** Parses chat `messages`; shared with legacy completions bodies that carry messages instead of a prompt. */
export function parseChatMessages(raw: unknown): ChatMessage[] {
  if (!Array.isArray(raw)) throw new InvalidRequestError("'messages' must be an array", 'missing_messages');
  if (raw.length === 0) throw new InvalidRequestError("'messages' must not be empty", 'missing_messages');
  const messages: ChatMessage[] = [];
  raw.forEach((entry, index) => {
    const where = `messages[${index}]`;
    if (!isObject(entry) || typeof entry.role !== 'string') {
      throw new InvalidRequestError(`${where} must be an object with a string 'role'`);
    }
    const { text, imageCount } = parseContent(entry.content, where);
    const refusal = typeof entry.refusal === 'string' ? entry.refusal : '';
    const calls = toolCallsOf(entry, where);
    messages.push(
      message(roleOf(entry.role), joinText([text, refusal]), imageCount, calls.count, calls.text),
    );
  });
  return messages;
}

function maxOutputTokens(body: Readonly<JsonObject>): number | undefined {
  const current = readTokenCap(body, 'max_completion_tokens');
  const legacy = readTokenCap(body, 'max_tokens');
  return current ?? legacy;
}

function parse(body: JsonObject): ParsedRequest {
  const model = readModel(body);
  const messages = parseChatMessages(body.messages);
  const tools = readDeclaredTools(body);
  const functions = readDeclaredTools(body, 'functions');
  return parsedRequest('chat_completions', body, {
    model,
    messages,
    tools: { count: tools.count + functions.count, text: joinText([tools.text, functions.text]) },
    maxOutputTokens: maxOutputTokens(body),
  });
}

/** A leading system message: the client's first `system`/`developer` message gets ours, or ours is prepended. */
function applySystemPrompt(body: JsonObject, prompt: string, mode: SystemPromptMode): void {
  if (!Array.isArray(body.messages)) return;
  const messages: unknown[] = [...body.messages];
  const first = messages[0];
  if (isObject(first) && (first.role === 'system' || first.role === 'developer')) {
    messages[0] = { ...first, content: combinedSystemContent(first.content, prompt, mode) };
  } else {
    messages.unshift({ role: 'system', content: prompt });
  }
  body.messages = messages;
}

/** SSE frames of a streamed chat completion: role chunk, content deltas, finish chunk, `[DONE]`. */
export function chatCompletionFrames(options: {
  id: string;
  created: number;
  model: string;
  text: string;
  usage?: Readonly<Record<string, number>>;
}): string[] {
  const { id, created, model } = options;
  const chunk = (delta: JsonObject, finish: string | null, extra: JsonObject = {}) =>
    sseFrame(undefined, {
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...extra,
    });
  return [
    chunk({ role: 'assistant', content: '' }, null),
    ...textDeltas(options.text).map((delta) => chunk({ content: delta }, null)),
    chunk({}, 'stop', options.usage ? { usage: options.usage } : {}),
    sseFrame(undefined, '[DONE]'),
  ];
}

export function chatCompletionObject(options: {
  id: string;
  created: number;
  model: string;
  text: string;
  usage: Readonly<Record<string, number>>;
}): JsonObject {
  return {
    id: options.id,
    object: 'chat.completion',
    created: options.created,
    model: options.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: options.text, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: options.usage,
  };
}

const NO_USAGE = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };

function fastAnswer(
  model: string,
  text: string,
  stream: boolean,
  extraHeaders: readonly HeaderPair[] = [],
): ImmediateResult {
  const options = { id: answerId('chatcmpl-'), created: unixSeconds(), model, text };
  // Streamed usage is OpenAI's opt-in (`stream_options.include_usage`); the router's canned answer leaves it out.
  return stream
    ? sseAnswer(chatCompletionFrames(options), 'semantic_router_fast_response', extraHeaders)
    : jsonAnswer(
        200,
        chatCompletionObject({ ...options, usage: NO_USAGE }),
        'semantic_router_fast_response',
        extraHeaders,
      );
}

export const chatCompletionsApi: LlmApiAdapter = {
  api: 'chat_completions',
  path: '/v1/chat/completions',
  parse,
  maxOutputTokens,
  applySystemPrompt,
  applyReasoning: applyTopLevelReasoning,
  errorAnswer: openAIErrorAnswer,
  fastAnswer,
};
