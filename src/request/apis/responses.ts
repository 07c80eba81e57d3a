// OpenAI Responses API (`POST /v1/responses`): `instructions` plus `input`, a string or a list of typed items.
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
import { combinedSystemContent, DEFAULT_REASONING_EFFORT, setChatTemplateKwarg } from './patches.ts';
import type {
  ChatMessage,
  LlmApiAdapter,
  ParsedRequest,
  ReasoningFamily,
  SystemPromptMode,
} from './types.ts';

const TEXT_PART_TYPES: ReadonlySet<string> = new Set(['input_text', 'output_text', 'text']);

/** Text and images of a message's `content` or of a tool output (`output`): a string or a list of parts. */
function contentOf(content: unknown, where: string): { text: string; imageCount: number } {
  if (content === undefined || content === null) return { text: '', imageCount: 0 };
  if (typeof content === 'string') return { text: content, imageCount: 0 };
  if (!Array.isArray(content)) {
    throw new InvalidRequestError(`${where} must be a string or an array of content parts`);
  }
  const texts: string[] = [];
  let imageCount = 0;
  for (const part of content) {
    if (!isObject(part) || typeof part.type !== 'string') continue;
    if (TEXT_PART_TYPES.has(part.type) && typeof part.text === 'string') texts.push(part.text);
    else if (part.type === 'refusal' && typeof part.refusal === 'string') texts.push(part.refusal);
    else if (part.type === 'input_image') imageCount++;
  }
  return { text: joinText(texts), imageCount };
}

/** Adds a tool call to the conversation: to the assistant turn just before it, as chat carries `tool_calls`. */
function pushToolCall(messages: ChatMessage[], line: string): void {
  const last = messages.at(-1);
  if (last?.role === 'assistant') {
    messages[messages.length - 1] = {
      ...last,
      toolCallCount: last.toolCallCount + 1,
      toolText: joinText([last.toolText, line]),
    };
  } else {
    messages.push(message('assistant', '', 0, 1, line));
  }
}

function parseInputItem(messages: ChatMessage[], item: unknown, where: string): void {
  if (!isObject(item)) throw new InvalidRequestError(`${where} must be an object (got ${describe(item)})`);
  switch (item.type) {
    case undefined:
    case 'message': {
      if (typeof item.role !== 'string') throw new InvalidRequestError(`${where} must have a string 'role'`);
      const { text, imageCount } = contentOf(item.content, `${where}.content`);
      messages.push(message(item.role, text, imageCount));
      return;
    }
    case 'function_call':
      pushToolCall(messages, toolCallLine(item.name, item.arguments, `${where}.arguments`));
      return;
    case 'custom_tool_call':
      pushToolCall(messages, toolCallLine(item.name, item.input, `${where}.input`));
      return;
    case 'function_call_output':
    case 'custom_tool_call_output': {
      const { text, imageCount } = contentOf(item.output, `${where}.output`);
      messages.push(message('tool', text, imageCount));
      return;
    }
    default:
    // Reasoning items, item references, built-in tool calls: nothing the router reads.
  }
}

function parseMessages(body: JsonObject): ChatMessage[] {
  const messages: ChatMessage[] = [];
  const { instructions, input } = body;
  if (typeof instructions === 'string') {
    if (instructions.length > 0) messages.push(message('system', instructions));
  } else if (instructions !== undefined && instructions !== null) {
    throw new InvalidRequestError(`'instructions' must be a string (got ${describe(instructions)})`);
  }
  if (typeof input === 'string') {
    messages.push(message('user', input));
  } else if (Array.isArray(input)) {
    for (let i = 0; i < input.length; i++) parseInputItem(messages, input[i], `input[${i}]`);
  } else if (input !== undefined && input !== null) {
    throw new InvalidRequestError(
      `'input' must be a string or an array of input items (got ${describe(input)})`,
      'missing_messages',
    );
  } else if (!isObject(body.prompt)) {
    // Without `input` only a stored prompt template (`prompt: {id}`) gives the model something to answer.
    throw new InvalidRequestError(
      "'input' is required (a string or an array of input items)",
      'missing_messages',
    );
  }
  return messages;
}

function maxOutputTokens(body: Readonly<JsonObject>): number | undefined {
  return readTokenCap(body, 'max_output_tokens');
}

function parse(body: JsonObject): ParsedRequest {
  const model = readModel(body);
  const messages = parseMessages(body);
  return parsedRequest('responses', body, {
    model,
    messages,
    tools: readDeclaredTools(body),
    maxOutputTokens: maxOutputTokens(body),
  });
}

/** The Responses API carries the system prompt in `instructions` (it applies to this response only). */
function applySystemPrompt(body: JsonObject, prompt: string, mode: SystemPromptMode): void {
  body.instructions = combinedSystemContent(body.instructions, prompt, mode);
}

/**
 * An effort family writes `reasoning.effort`, the Responses API's only effort knob, whatever the family's
 * chat parameter is called. A chat-template family writes vLLM's `chat_template_kwargs`, which its /v1/responses
 * accepts and hands to the template (vLLM also turns `enable_thinking` on when it sees `reasoning.effort`).
 */
function applyReasoning(
  body: JsonObject,
  family: ReasoningFamily,
  useReasoning: boolean,
  effort: string | undefined,
): void {
  if (family.type === 'chat_template_kwargs') {
    setChatTemplateKwarg(body, family.parameter, useReasoning);
  } else if (useReasoning) {
    const existing = isObject(body.reasoning) ? body.reasoning : {};
    body.reasoning = { ...existing, effort: effort ?? DEFAULT_REASONING_EFFORT };
  }
}

export interface ResponseOptions {
  readonly id: string;
  readonly messageId: string;
  readonly createdAt: number;
  readonly model: string;
  readonly text: string;
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number };
}

function outputText(text: string): JsonObject {
  return { type: 'output_text', text, annotations: [] };
}

function outputMessage(options: ResponseOptions, done: boolean): JsonObject {
  return {
    id: options.messageId,
    type: 'message',
    status: done ? 'completed' : 'in_progress',
    role: 'assistant',
    content: done ? [outputText(options.text)] : [],
  };
}

/** The `response` object; `done` false gives the in-progress one that opens a stream. */
export function responseObject(options: ResponseOptions, done = true): JsonObject {
  const { inputTokens, outputTokens } = options.usage;
  return {
    id: options.id,
    object: 'response',
    created_at: options.createdAt,
    status: done ? 'completed' : 'in_progress',
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model: options.model,
    output: done ? [outputMessage(options, true)] : [],
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: null,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: null,
    truncation: 'disabled',
    usage: done
      ? {
          input_tokens: inputTokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: outputTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: inputTokens + outputTokens,
        }
      : null,
    user: null,
    metadata: {},
  };
}

/**
 * The event sequence OpenAI streams for one text message: created, in_progress, output item and content part
 * added, text deltas, text / part / item done, completed; every event numbered by `sequence_number`.
 */
export function responseEvents(options: ResponseOptions): { event: string; data: JsonObject }[] {
  const events: { event: string; data: JsonObject }[] = [];
  const emit = (type: string, fields: JsonObject) =>
    events.push({ event: type, data: { type, sequence_number: events.length, ...fields } });
  const at = { item_id: options.messageId, output_index: 0, content_index: 0 };
  emit('response.created', { response: responseObject(options, false) });
  emit('response.in_progress', { response: responseObject(options, false) });
  emit('response.output_item.added', { output_index: 0, item: outputMessage(options, false) });
  emit('response.content_part.added', { ...at, part: outputText('') });
  for (const delta of textDeltas(options.text))
    emit('response.output_text.delta', { ...at, delta, logprobs: [] });
  emit('response.output_text.done', { ...at, text: options.text, logprobs: [] });
  emit('response.content_part.done', { ...at, part: outputText(options.text) });
  emit('response.output_item.done', { output_index: 0, item: outputMessage(options, true) });
  emit('response.completed', { response: responseObject(options, true) });
  return events;
}

function fastAnswer(
  model: string,
  text: string,
  stream: boolean,
  extraHeaders: readonly HeaderPair[] = [],
): ImmediateResult {
  const options: ResponseOptions = {
    id: answerId('resp_'),
    messageId: answerId('msg_'),
    createdAt: unixSeconds(),
    model,
    text,
    usage: { inputTokens: 0, outputTokens: 0 },
  };
  if (!stream) return jsonAnswer(200, responseObject(options), 'semantic_router_fast_response', extraHeaders);
  const frames = responseEvents(options).map(({ event, data }) => sseFrame(event, data));
  return sseAnswer(frames, 'semantic_router_fast_response', extraHeaders);
}

export const responsesApi: LlmApiAdapter = {
  api: 'responses',
  path: '/v1/responses',
  parse,
  maxOutputTokens,
  applySystemPrompt,
  applyReasoning,
  errorAnswer: openAIErrorAnswer,
  fastAnswer,
};
