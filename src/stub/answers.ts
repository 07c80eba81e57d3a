// The stub's answers in each API's own shape (JSON or SSE) with realistic usage, as pieces that each say how many
// generated tokens must be ready before they can be sent, so the server can pace them like a decoding engine.
import { randomBytes } from 'node:crypto';
import { sseFrame, textDeltas } from '../request/apis/answers.ts';
import { anthropicErrorType, anthropicEvents, anthropicMessage } from '../request/apis/anthropic-messages.ts';
import { chatCompletionObject } from '../request/apis/chat-completions.ts';
import { textCompletionObject } from '../request/apis/completions.ts';
import { isObject, type JsonObject } from '../request/apis/fields.ts';
import { responseEvents, responseObject } from '../request/apis/responses.ts';
import type { LlmApi, ParsedRequest } from '../request/apis/types.ts';

/** Part of a response body; sent once the answer's first `tokens` generated tokens (cumulative) are ready. */
export interface Piece {
  readonly data: string;
  /** Generated tokens this piece carries (0 for framing: role chunk, stops, usage). */
  readonly tokens: number;
}

export interface Usage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

export interface Answer {
  readonly contentType: string;
  readonly pieces: readonly Piece[];
  readonly usage: Usage;
}

/** Output tokens of a text as the stub counts them: one per word. */
export function countTokens(text: string): number {
  return text.match(/\S+/g)?.length ?? 0;
}

/** Prompt tokens as a tokenizer would roughly count them: characters of everything the model reads / 4. */
export function estimatePromptTokens(request: ParsedRequest): number {
  let chars = request.toolText.length;
  for (const message of request.messages) chars += message.text.length + message.toolText.length;
  return Math.max(1, Math.ceil(chars / 4));
}

/** Common one-token words the stub pads answers with; 32 of them, walked with a stride of 7 so phrases vary. */
const FILLER = (
  'the model keeps talking about pools and queues while tokens arrive at a steady pace so that load tests ' +
  'see long answers with plenty of plain words in every streamed delta from this stub'
).split(' ');

function filler(count: number): string {
  const words: string[] = [];
  for (let i = 0; i < count; i++) words.push(FILLER[(i * 7) % FILLER.length] as string);
  return words.join(' ');
}

function lastUserText(request: ParsedRequest): string {
  const text = request.messages.findLast((m) => m.role === 'user')?.text ?? '';
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** `[pool] model answered: <last user text>`, padded with generated words to `completionTokens` words. */
export function answerText(pool: string, request: ParsedRequest, completionTokens: number): string {
  const echo = `[${pool}] ${request.model} answered: ${lastUserText(request)}`;
  const missing = completionTokens - countTokens(echo);
  return missing > 0 ? `${echo.trimEnd()} ${filler(missing)}` : echo;
}

function stubId(prefix: string): string {
  return `${prefix}stub${randomBytes(8).toString('hex')}`;
}

function wantsUsage(request: ParsedRequest): boolean {
  const options = request.body.stream_options;
  return isObject(options) && options.include_usage === true;
}

function openAiUsage(usage: Usage): Record<string, number> {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
}

/**
 * Chunks of a streamed chat completion or legacy completion. With `stream_options.include_usage` every chunk has
 * `usage: null` and a last chunk before `[DONE]` has `choices: []` and the usage, as OpenAI and vLLM send it.
 */
function openAiStream(
  api: 'chat_completions' | 'completions',
  request: ParsedRequest,
  text: string,
  usage: Usage,
) {
  const chat = api === 'chat_completions';
  const head = {
    id: stubId(chat ? 'chatcmpl-' : 'cmpl-'),
    object: chat ? 'chat.completion.chunk' : 'text_completion',
    created: Math.floor(Date.now() / 1000),
    model: request.model,
  };
  const includeUsage = wantsUsage(request);
  const chunk = (choice: JsonObject, tokens: number): Piece => ({
    data: sseFrame(undefined, {
      ...head,
      choices: [{ index: 0, ...choice }],
      ...(includeUsage ? { usage: null } : {}),
    }),
    tokens,
  });
  const piece = (content: string, finish: string | null, tokens: number) =>
    chat
      ? chunk({ delta: finish === null ? { content } : {}, logprobs: null, finish_reason: finish }, tokens)
      : chunk({ text: content, logprobs: null, finish_reason: finish }, tokens);
  const pieces: Piece[] = [];
  if (chat)
    pieces.push(chunk({ delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }, 0));
  for (const delta of textDeltas(text)) pieces.push(piece(delta, null, countTokens(delta)));
  pieces.push(piece('', 'stop', 0));
  if (includeUsage) {
    pieces.push({
      data: sseFrame(undefined, { ...head, choices: [], usage: openAiUsage(usage) }),
      tokens: 0,
    });
  }
  pieces.push({ data: sseFrame(undefined, '[DONE]'), tokens: 0 });
  return pieces;
}

function eventPieces(
  events: readonly { event: string; data: JsonObject }[],
  deltaText: (data: JsonObject) => unknown,
) {
  return events.map(({ event, data }) => {
    const text = deltaText(data);
    return { data: sseFrame(event, data), tokens: typeof text === 'string' ? countTokens(text) : 0 };
  });
}

function json(body: unknown, tokens: number): Piece[] {
  return [{ data: JSON.stringify(body), tokens }];
}

/** OpenAI's `logprobs` of a chat answer: every word a token of `logprob`, its runner-up 2 nats less likely. */
function chatLogprobs(text: string, logprob: number, top: number): JsonObject {
  return {
    content: text
      .split(/(?<=\s)/)
      .filter(Boolean)
      .map((token) => ({
        token,
        logprob,
        bytes: null,
        top_logprobs: [
          { token, logprob, bytes: null },
          { token: '…', logprob: logprob - 2, bytes: null },
        ].slice(0, top),
      })),
  };
}

function body(
  api: LlmApi,
  request: ParsedRequest,
  text: string,
  usage: Usage,
  tokenLogprob?: number,
): Piece[] {
  const { model, stream } = request;
  const tokens = { inputTokens: usage.promptTokens, outputTokens: usage.completionTokens };
  const created = Math.floor(Date.now() / 1000);
  switch (api) {
    case 'chat_completions':
    case 'completions': {
      if (stream) return openAiStream(api, request, text, usage);
      const id = stubId(api === 'chat_completions' ? 'chatcmpl-' : 'cmpl-');
      const options = { id, created, model, text, usage: openAiUsage(usage) };
      const object =
        api === 'chat_completions' ? chatCompletionObject(options) : textCompletionObject(options);
      const choice = (object.choices as JsonObject[] | undefined)?.[0];
      if (
        choice &&
        api === 'chat_completions' &&
        tokenLogprob !== undefined &&
        request.body.logprobs === true
      ) {
        const top = typeof request.body.top_logprobs === 'number' ? request.body.top_logprobs : 0;
        choice.logprobs = chatLogprobs(text, tokenLogprob, top);
      }
      return json(object, usage.completionTokens);
    }
    case 'responses': {
      const id = randomBytes(8).toString('hex');
      const options = {
        id: `resp_stub${id}`,
        messageId: `msg_stub${id}`,
        createdAt: created,
        model,
        text,
        usage: tokens,
      };
      if (!stream) return json(responseObject(options), usage.completionTokens);
      return eventPieces(responseEvents(options), (data) =>
        data.type === 'response.output_text.delta' ? data.delta : undefined,
      );
    }
    case 'messages': {
      const options = { id: stubId('msg_'), model, text, usage: tokens };
      if (!stream) return json(anthropicMessage(options), usage.completionTokens);
      return eventPieces(anthropicEvents(options), (data) =>
        data.type === 'content_block_delta' && isObject(data.delta) ? data.delta.text : undefined,
      );
    }
  }
}

/** The whole answer to `request` in its API's shape, JSON or SSE as the request asked. */
export function buildAnswer(
  api: LlmApi,
  request: ParsedRequest,
  pool: string,
  completionTokens: number,
  /** Per-token logprob to report when a chat request asks for `logprobs` (StubOptions.modelLogprobs). */
  tokenLogprob?: number,
): Answer {
  const text = answerText(pool, request, completionTokens);
  const usage = { promptTokens: estimatePromptTokens(request), completionTokens: countTokens(text) };
  return {
    contentType: request.stream ? 'text/event-stream' : 'application/json',
    pieces: body(api, request, text, usage, tokenLogprob),
    usage,
  };
}

/** An error body in the API's shape: Anthropic's for Messages, OpenAI's for the others. */
export function errorBody(api: LlmApi, status: number, message: string, code: string): JsonObject {
  if (api === 'messages') return { type: 'error', error: { type: anthropicErrorType(status), message } };
  const type = status < 500 ? 'invalid_request_error' : 'server_error';
  return { error: { message, type, code, param: null } };
}
