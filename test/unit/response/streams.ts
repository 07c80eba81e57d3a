// Realistic response streams of each API (shapes of the official API references and of vLLM's output) and helpers
// to feed them to the response stage in chunks cut anywhere. Shared by the response tests and bench/response-stage.ts.
import { sseFrame } from '../../../src/request/apis/answers.ts';
import { anthropicEvents } from '../../../src/request/apis/anthropic-messages.ts';
import { chatCompletionFrames } from '../../../src/request/apis/chat-completions.ts';
import { responseEvents } from '../../../src/request/apis/responses.ts';
import type { LlmApi } from '../../../src/request/apis/types.ts';
import { StreamResponseReader } from '../../../src/response/stream-reader.ts';
import type { TokenUsage } from '../../../src/response/usage.ts';

/** Tokens as a model streams them: words and pieces of words, accents, CJK and an emoji (multi-byte UTF-8). */
export const TOKENS: readonly string[] = [
  'Bon',
  'jour',
  ' !',
  ' ré',
  'ponse',
  ' 日本',
  '語',
  ' 🚀',
  ' Grü',
  'ße',
  ' "quoted"',
  ' a\nnewline',
  ' Voici',
  ' la',
  ' :',
  'の',
  'テキスト',
  ' —',
  ' and',
  '.',
];

/** `count` tokens cycling through TOKENS. */
export function tokens(count: number): string[] {
  return Array.from({ length: count }, (_, i) => TOKENS[i % TOKENS.length] as string);
}

export interface Stream {
  readonly label: string;
  readonly api: LlmApi;
  /** The frames in order; `usageOnly` marks the frame the router's include_usage adds, `token` one with output. */
  readonly frames: readonly StreamFrame[];
}

export interface StreamFrame {
  readonly text: string;
  readonly usageOnly?: boolean;
  readonly token?: boolean;
}

export const text = (stream: Stream): string => stream.frames.map((f) => f.text).join('');
export const bytes = (stream: Stream): Uint8Array => Buffer.from(text(stream), 'utf8');
/** The stream as the client must get it when usage-only frames are stripped. */
export const withoutUsageOnly = (stream: Stream): Uint8Array =>
  Buffer.from(
    stream.frames
      .filter((f) => !f.usageOnly)
      .map((f) => f.text)
      .join(''),
    'utf8',
  );

/** vLLM's chat chunk: `model_dump_json(exclude_unset=True)` leaves out unset fields (no `usage: null`). */
function vllmChunk(choices: unknown[], extra: Record<string, unknown> = {}): string {
  return sseFrame(undefined, {
    id: 'chatcmpl-9b1c5c1f0a2e4d7f8e6a3b2c1d0e9f8a',
    object: 'chat.completion.chunk',
    created: 1_735_689_600,
    model: 'Qwen/Qwen3-8B',
    choices,
    ...extra,
  });
}

const delta = (fields: Record<string, unknown>, finish: string | null = null) => ({
  index: 0,
  delta: fields,
  logprobs: null,
  finish_reason: finish,
});

/**
 * vLLM chat stream of a reasoning model (`--reasoning-parser qwen3`) asked for usage: role chunk, reasoning
 * deltas, content deltas, finish chunk, usage chunk (`choices: []`), `[DONE]`.
 */
export function vllmChatStream(options: {
  contentTokens: readonly string[];
  reasoningTokens?: readonly string[];
  reasoningField?: 'reasoning' | 'reasoning_content';
  includeUsage?: boolean;
  cachedTokens?: number;
}): Stream {
  const reasoning = options.reasoningTokens ?? [];
  const field = options.reasoningField ?? 'reasoning_content';
  const completion = reasoning.length + options.contentTokens.length;
  const frames: StreamFrame[] = [
    { text: vllmChunk([delta({ role: 'assistant', content: '' })]) },
    ...reasoning.map((t) => ({ text: vllmChunk([delta({ [field]: t })]), token: true })),
    ...options.contentTokens.map((t) => ({ text: vllmChunk([delta({ content: t })]), token: true })),
    { text: vllmChunk([{ ...delta({ content: '' }, 'stop'), stop_reason: null }]) },
  ];
  if (options.includeUsage !== false) {
    const usage: Record<string, unknown> = {
      prompt_tokens: 37,
      total_tokens: 37 + completion,
      completion_tokens: completion,
    };
    if (options.cachedTokens !== undefined)
      usage.prompt_tokens_details = { cached_tokens: options.cachedTokens };
    frames.push({ text: vllmChunk([], { usage }), usageOnly: true });
  }
  frames.push({ text: 'data: [DONE]\n\n' });
  return { label: 'vLLM chat', api: 'chat_completions', frames };
}

/**
 * OpenAI's chat stream with `stream_options.include_usage` (API reference): every chunk has `usage: null`, the
 * last one `choices: []` and the usage with its details.
 */
export function openAIChatStream(contentTokens: readonly string[]): Stream {
  const chunk = (choices: unknown[], usage: unknown) =>
    sseFrame(undefined, {
      id: 'chatcmpl-AyPNinnUqUDYo9SAdA52NobMflmj2',
      object: 'chat.completion.chunk',
      created: 1_738_960_610,
      model: 'gpt-4o-mini-2024-07-18',
      service_tier: 'default',
      system_fingerprint: 'fp_06737a9306',
      choices,
      usage,
    });
  return {
    label: 'OpenAI chat',
    api: 'chat_completions',
    frames: [
      { text: chunk([delta({ role: 'assistant', content: '', refusal: null })], null) },
      ...contentTokens.map((t) => ({ text: chunk([delta({ content: t })], null), token: true })),
      { text: chunk([delta({}, 'stop')], null) },
      {
        text: chunk([], {
          prompt_tokens: 1117,
          completion_tokens: contentTokens.length,
          total_tokens: 1117 + contentTokens.length,
          prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
          completion_tokens_details: {
            reasoning_tokens: 0,
            audio_tokens: 0,
            accepted_prediction_tokens: 0,
            rejected_prediction_tokens: 0,
          },
        }),
        usageOnly: true,
      },
      { text: 'data: [DONE]\n\n' },
    ],
  };
}

/** vLLM chat stream of a tool call: the call's id and name, then argument fragments. */
export function vllmToolCallStream(): Stream {
  const call = (fields: Record<string, unknown>) =>
    vllmChunk([delta({ tool_calls: [{ index: 0, ...fields }] })]);
  return {
    label: 'vLLM tool call',
    api: 'chat_completions',
    frames: [
      { text: vllmChunk([delta({ role: 'assistant', content: '' })]) },
      {
        text: call({
          id: 'chatcmpl-tool-3f1c2b',
          type: 'function',
          function: { name: 'get_weather', arguments: '' },
        }),
        token: true,
      },
      { text: call({ function: { arguments: '{"city": "' } }), token: true },
      { text: call({ function: { arguments: 'Zürich"}' } }), token: true },
      { text: vllmChunk([{ ...delta({ content: '' }, 'tool_calls'), stop_reason: null }]) },
      {
        text: vllmChunk([], { usage: { prompt_tokens: 212, total_tokens: 230, completion_tokens: 18 } }),
        usageOnly: true,
      },
      { text: 'data: [DONE]\n\n' },
    ],
  };
}

/** vLLM legacy completions stream asked for usage. */
export function vllmCompletionStream(textTokens: readonly string[]): Stream {
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    sseFrame(undefined, {
      id: 'cmpl-5d2f0c7e9b8a4c6d',
      object: 'text_completion',
      created: 1_735_689_600,
      model: 'Qwen/Qwen3-8B',
      choices,
      ...extra,
    });
  const choice = (t: string, finish: string | null = null) => ({
    index: 0,
    text: t,
    logprobs: null,
    finish_reason: finish,
    stop_reason: null,
  });
  return {
    label: 'vLLM completions',
    api: 'completions',
    frames: [
      ...textTokens.map((t) => ({ text: chunk([choice(t)]), token: true })),
      { text: chunk([choice('', 'length')]) },
      {
        text: chunk([], {
          usage: {
            prompt_tokens: 5,
            total_tokens: 5 + textTokens.length,
            completion_tokens: textTokens.length,
          },
        }),
        usageOnly: true,
      },
      { text: 'data: [DONE]\n\n' },
    ],
  };
}

/** The Responses event sequence of the router's own adapter, with a cached-token usage in `response.completed`. */
export function responsesStream(message: string): Stream {
  const events = responseEvents({
    id: 'resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b',
    messageId: 'msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b',
    createdAt: 1_741_476_542,
    model: 'Qwen/Qwen3-8B',
    text: message,
    usage: { inputTokens: 36, outputTokens: 87 },
  });
  return {
    label: 'Responses',
    api: 'responses',
    frames: events.map(({ event, data }) => ({
      text: sseFrame(event, data),
      token: event === 'response.output_text.delta',
    })),
  };
}

/** Anthropic's documented stream (message_start with input usage, a ping, text deltas, message_delta, stop). */
export function anthropicStream(message: string): Stream {
  const events = anthropicEvents({
    id: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY',
    model: 'claude-sonnet-4-5',
    text: message,
    usage: { inputTokens: 25, outputTokens: 15 },
  });
  const frames: StreamFrame[] = events.map(({ event, data }) => ({
    text: sseFrame(event, data),
    token: event === 'content_block_delta',
  }));
  // Anthropic sends a ping after the first content_block_start.
  frames.splice(2, 0, { text: sseFrame('ping', { type: 'ping' }) });
  return { label: 'Anthropic', api: 'messages', frames };
}

/** All realistic streams, for the split-anywhere tests. */
export function realisticStreams(): Stream[] {
  return [
    vllmChatStream({ contentTokens: tokens(8), reasoningTokens: tokens(3), cachedTokens: 32 }),
    openAIChatStream(tokens(8)),
    vllmToolCallStream(),
    vllmCompletionStream(tokens(10)),
    responsesStream('Les élèves ont résolu 日本語 problems 🚀 quickly and then wrote about it at length.'),
    anthropicStream('Hello! Ça va? 日本語 text with an emoji 🚀 and more words to make several deltas here.'),
  ];
}

/** The same stream with other line endings (`\r\n` or `\r`); JSON data holds no raw line breaks. */
export function withLineEnding(stream: Stream, ending: '\r\n' | '\r'): Stream {
  return {
    ...stream,
    label: `${stream.label} ${JSON.stringify(ending)}`,
    frames: stream.frames.map((f) => ({ ...f, text: f.text.replaceAll('\n', ending) })),
  };
}

/** `data` cut at the given offsets. */
export function cut(data: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const offset of [...offsets, data.length]) {
    chunks.push(data.slice(start, offset));
    start = offset;
  }
  return chunks;
}

/** Chunks of `size` bytes (the last one shorter). */
export function chunksOf(data: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += size) chunks.push(data.slice(i, i + size));
  return chunks;
}

/** One chunk per frame, as vLLM writes them and Envoy often forwards them. */
export function framePerChunk(stream: Stream): Uint8Array[] {
  return stream.frames.map((f) => Buffer.from(f.text, 'utf8'));
}

export interface ReadResult {
  /** What the client gets: the returned bytes (stripping) or the chunks themselves. */
  readonly forwarded: Buffer;
  readonly usage: TokenUsage | undefined;
  readonly tokenFrames: number;
  readonly firstTokenAt: number | undefined;
  readonly lastTokenAt: number | undefined;
  readonly done: boolean;
  readonly unparsedFrames: number;
  readonly strippedFrames: number;
  readonly error: { type: string; message: string } | undefined;
}

/** Runs a reader over `chunks`; its clock reads the number of bytes pushed so far. */
export function readStream(api: LlmApi, chunks: readonly Uint8Array[], strip: boolean): ReadResult {
  let pushed = 0;
  const reader = new StreamResponseReader(api, { stripUsageOnlyFrames: strip, now: () => pushed });
  const out: Uint8Array[] = [];
  for (const chunk of chunks) {
    pushed += chunk.length;
    out.push(reader.push(chunk) ?? chunk);
  }
  const rest = reader.end();
  if (rest !== undefined) out.push(rest);
  return {
    forwarded: Buffer.concat(out),
    usage: reader.usage,
    tokenFrames: reader.tokenFrames,
    firstTokenAt: reader.firstTokenAt,
    lastTokenAt: reader.lastTokenAt,
    done: reader.done,
    unparsedFrames: reader.unparsedFrames,
    strippedFrames: reader.strippedFrames,
    error: reader.error,
  };
}

/** A chat stream assembled from chatCompletionFrames (the router's own builder): usage on the finish chunk. */
export function builderChatStream(message: string): Stream {
  const frames = chatCompletionFrames({
    id: 'chatcmpl-router',
    created: 1_735_689_600,
    model: 'small-chat',
    text: message,
    usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
  });
  // Role chunk, text deltas, finish chunk (with the usage), [DONE].
  const last = frames.length - 2;
  return {
    label: 'builder chat',
    api: 'chat_completions',
    frames: frames.map((t, i) => ({ text: t, token: i > 0 && i < last })),
  };
}
