// StreamResponseReader: usage, token timing, end and errors of each API's SSE stream, and the usage-only frame
// stripped from what the client gets, whatever the chunking.
import { describe, expect, it } from 'vitest';
import { sseFrame } from '../../../src/request/apis/answers.ts';
import type { LlmApi } from '../../../src/request/apis/types.ts';
import { StreamResponseReader } from '../../../src/response/stream-reader.ts';
import type { TokenUsage } from '../../../src/response/usage.ts';
import {
  anthropicStream,
  builderChatStream,
  bytes,
  chunksOf,
  cut,
  framePerChunk,
  openAIChatStream,
  type ReadResult,
  readStream,
  responsesStream,
  type Stream,
  tokens,
  vllmChatStream,
  vllmCompletionStream,
  vllmToolCallStream,
  withLineEnding,
  withoutUsageOnly,
} from './streams.ts';

const usage = (
  promptTokens: number,
  completionTokens: number,
  cachedPromptTokens = 0,
  reasoningTokens = 0,
): TokenUsage => ({ promptTokens, completionTokens, cachedPromptTokens, reasoningTokens });

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const streamOf = (api: LlmApi, label: string, texts: readonly string[]): Stream => ({
  label,
  api,
  frames: texts.map((text) => ({ text })),
});

interface Case {
  readonly stream: Stream;
  readonly usage: TokenUsage | undefined;
  readonly tokenFrames: number;
  readonly stripped: number;
}

const ANTHROPIC_TEXT =
  'Hello! Ça va? 日本語 text with an emoji 🚀 and more words to make several deltas here.';
const RESPONSES_TEXT = 'Les élèves ont résolu 日本語 problems 🚀 quickly and then wrote about it at length.';
const tokenCount = (stream: Stream) => stream.frames.filter((f) => f.token).length;

const CASES: Case[] = [
  {
    stream: vllmChatStream({ contentTokens: tokens(8), reasoningTokens: tokens(3), cachedTokens: 32 }),
    usage: usage(37, 11, 32),
    tokenFrames: 11,
    stripped: 1,
  },
  {
    stream: {
      ...vllmChatStream({
        contentTokens: tokens(3),
        reasoningTokens: tokens(2),
        reasoningField: 'reasoning',
      }),
      label: 'vLLM chat, `reasoning` field',
    },
    usage: usage(37, 5),
    tokenFrames: 5,
    stripped: 1,
  },
  { stream: openAIChatStream(tokens(8)), usage: usage(1117, 8, 1024, 0), tokenFrames: 8, stripped: 1 },
  { stream: vllmToolCallStream(), usage: usage(212, 18), tokenFrames: 3, stripped: 1 },
  { stream: vllmCompletionStream(tokens(10)), usage: usage(5, 10), tokenFrames: 10, stripped: 1 },
  {
    stream: builderChatStream('Usage rides on the finish chunk here.'),
    usage: usage(9, 4),
    tokenFrames: 1,
    stripped: 0,
  },
  {
    stream: responsesStream(RESPONSES_TEXT),
    usage: usage(36, 87),
    tokenFrames: tokenCount(responsesStream(RESPONSES_TEXT)),
    stripped: 0,
  },
  {
    stream: anthropicStream(ANTHROPIC_TEXT),
    usage: { ...usage(25, 15), cacheWriteTokens: 0 },
    tokenFrames: tokenCount(anthropicStream(ANTHROPIC_TEXT)),
    stripped: 0,
  },
];

describe('StreamResponseReader: what each API streams', () => {
  it.each(CASES.map((c) => [c.stream.label, c] as const))('%s', (_label, c) => {
    expect(c.tokenFrames).toBe(tokenCount(c.stream));
    for (const strip of [false, true]) {
      const result = readStream(c.stream.api, framePerChunk(c.stream), strip);
      expect(result.usage).toEqual(c.usage);
      expect(result.tokenFrames).toBe(c.tokenFrames);
      expect(result.done).toBe(true);
      expect(result.error).toBeUndefined();
      expect(result.unparsedFrames).toBe(0);
      expect(result.strippedFrames).toBe(strip ? c.stripped : 0);
    }
  });

  it('times the first and last token frames with the push that completes them', () => {
    const stream = vllmChatStream({ contentTokens: tokens(3) });
    let clock = 100;
    const reader = new StreamResponseReader('chat_completions', {
      stripUsageOnlyFrames: false,
      now: () => clock,
    });
    const chunks = framePerChunk(stream);
    chunks.forEach((chunk, i) => {
      clock = 100 + i;
      reader.push(chunk);
    });
    reader.end();
    // Frame 0 is the role chunk (no output), frames 1-3 the tokens.
    expect([reader.firstTokenAt, reader.lastTokenAt, reader.tokenFrames]).toEqual([101, 103, 3]);
  });

  it('reads the clock at most once per push, and only for token frames', () => {
    let calls = 0;
    const reader = new StreamResponseReader('chat_completions', {
      stripUsageOnlyFrames: true,
      now: () => ++calls,
    });
    const stream = vllmChatStream({ contentTokens: tokens(40) });
    reader.push(bytes(stream));
    reader.end();
    expect(calls).toBe(1);
    expect(reader.tokenFrames).toBe(40);
    const idle = new StreamResponseReader('chat_completions', {
      stripUsageOnlyFrames: false,
      now: () => ++calls,
    });
    idle.push(utf8(': keep-alive\n\ndata: [DONE]\n\n'));
    expect(calls).toBe(1);
    expect(idle.firstTokenAt).toBeUndefined();
  });
});

describe('StreamResponseReader: chunks cut at every byte', () => {
  const streams = CASES.map((c) => c.stream).flatMap((s) => [
    s,
    withLineEnding(s, '\r\n'),
    withLineEnding(s, '\r'),
  ]);

  /** Where frame `index` ends in the stream's bytes. */
  function frameEnd(stream: Stream, index: number): number {
    return stream.frames.slice(0, index + 1).reduce((sum, f) => sum + utf8(f.text).length, 0);
  }

  /** The clock (bytes pushed) when a frame ending at `end` is seen, with the stream cut once at `at`. */
  function seenAt(end: number, at: number, total: number, crOnly: boolean): number {
    // A frame that ends with a lone CR at the end of a chunk waits for the next byte (it may be a CRLF).
    const waits = crOnly && end === at && at < total;
    return end <= at && !waits ? at : total;
  }

  it.each(streams.map((s) => [s.label, s] as const))('%s', (_label, stream) => {
    const input = bytes(stream);
    const crOnly = stream.label.endsWith('"\\r"');
    const tokenIndexes = stream.frames.flatMap((f, i) => (f.token ? [i] : []));
    const firstEnd = frameEnd(stream, tokenIndexes[0] as number);
    const lastEnd = frameEnd(stream, tokenIndexes.at(-1) as number);
    const chatLike = stream.api === 'chat_completions' || stream.api === 'completions';
    for (const strip of [false, true]) {
      const whole = readStream(stream.api, [input], strip);
      const expectedBytes = strip && chatLike ? withoutUsageOnly(stream) : input;
      expect(whole.forwarded.equals(Buffer.from(expectedBytes))).toBe(true);
      const summary = (r: ReadResult) =>
        JSON.stringify([r.usage, r.tokenFrames, r.done, r.error, r.unparsedFrames, r.strippedFrames]);
      const expected = summary(whole);
      const differing: string[] = [];
      for (let at = 0; at <= input.length; at++) {
        const result = readStream(stream.api, cut(input, [at]), strip);
        if (!result.forwarded.equals(Buffer.from(expectedBytes))) differing.push(`${at}: forwarded bytes`);
        if (summary(result) !== expected) differing.push(`${at}: ${summary(result)}`);
        const first = seenAt(firstEnd, at, input.length, crOnly);
        const last = seenAt(lastEnd, at, input.length, crOnly);
        if (result.firstTokenAt !== first || result.lastTokenAt !== last) {
          differing.push(
            `${at}: token times ${result.firstTokenAt}/${result.lastTokenAt}, expected ${first}/${last}`,
          );
        }
      }
      const byteByByte = readStream(stream.api, chunksOf(input, 1), strip);
      if (!byteByByte.forwarded.equals(Buffer.from(expectedBytes)))
        differing.push('1-byte chunks: forwarded bytes');
      if (summary(byteByByte) !== expected) differing.push(`1-byte chunks: ${summary(byteByByte)}`);
      expect(differing).toEqual([]);
    }
  });
});

describe('StreamResponseReader: stripping the usage-only frame', () => {
  it('forwards everything but that frame, byte for byte and in order', () => {
    const stream = vllmChatStream({ contentTokens: tokens(6), cachedTokens: 0 });
    const chunks = framePerChunk(stream);
    const reader = new StreamResponseReader('chat_completions', { stripUsageOnlyFrames: true, now: () => 0 });
    const out = chunks.map((chunk) => reader.push(chunk));
    expect(reader.end()).toEqual(new Uint8Array(0));
    stream.frames.forEach((frame, i) => {
      // A chunk that is exactly one kept frame comes back as itself (no copy).
      if (frame.usageOnly) expect(out[i]?.length).toBe(0);
      else expect(out[i]).toBe(chunks[i]);
    });
    expect(reader.strippedFrames).toBe(1);
    expect(reader.usage).toEqual(usage(37, 6, 0));
  });

  it('strips the usage frame out of a chunk that also holds other frames', () => {
    const stream = vllmChatStream({ contentTokens: tokens(2) });
    const result = readStream('chat_completions', [bytes(stream)], true);
    expect(result.forwarded.toString()).toBe(Buffer.from(withoutUsageOnly(stream)).toString());
    expect(result.forwarded.toString()).toMatch(/"finish_reason":"stop".*\n\ndata: \[DONE\]\n\n$/s);
    expect(result.forwarded.toString()).not.toContain('"usage"');
  });

  it('holds back a cut frame and sends it with a later return value', () => {
    const reader = new StreamResponseReader('chat_completions', { stripUsageOnlyFrames: true, now: () => 0 });
    const frame = vllmChatStream({ contentTokens: ['Hi'] }).frames[1]?.text as string;
    const input = utf8(frame);
    expect(reader.push(input.subarray(0, 10))?.length).toBe(0);
    expect(Buffer.from(reader.push(input.subarray(10)) ?? []).equals(input)).toBe(true);
    expect(reader.push(utf8('data: [DO'))?.length).toBe(0);
    expect(Buffer.from(reader.end() ?? []).toString()).toBe('data: [DO');
  });

  it('keeps usage that rides on a chunk with choices (vLLM continuous_usage_stats) and strips only the final one', () => {
    const chunk = (choices: unknown[], completion: number) =>
      sseFrame(undefined, {
        id: 'chatcmpl-1',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'm',
        choices,
        usage: { prompt_tokens: 4, total_tokens: 4 + completion, completion_tokens: completion },
      });
    const kept = [
      chunk([{ index: 0, delta: { role: 'assistant', content: '' } }], 0),
      chunk([{ index: 0, delta: { content: 'a' } }], 1),
      chunk([{ index: 0, delta: { content: 'b' }, finish_reason: 'stop' }], 2),
    ];
    const stream: Stream = {
      label: 'continuous usage',
      api: 'chat_completions',
      frames: [
        ...kept.map((text) => ({ text })),
        { text: chunk([], 2), usageOnly: true },
        { text: 'data: [DONE]\n\n' },
      ],
    };
    const result = readStream('chat_completions', framePerChunk(stream), true);
    expect(result.forwarded.equals(Buffer.from(withoutUsageOnly(stream)))).toBe(true);
    expect([result.strippedFrames, result.tokenFrames, result.usage]).toEqual([1, 2, usage(4, 2)]);
  });

  it('forwards every chunk unchanged (returns undefined) when stripping is off', () => {
    const reader = new StreamResponseReader('chat_completions', {
      stripUsageOnlyFrames: false,
      now: () => 0,
    });
    for (const chunk of chunksOf(bytes(vllmChatStream({ contentTokens: tokens(4) })), 100)) {
      expect(reader.push(chunk)).toBeUndefined();
    }
    expect(reader.end()).toBeUndefined();
    expect(reader.usage).toEqual(usage(37, 4));
  });

  it.each<LlmApi>(['responses', 'messages'])(
    'never holds back %s chunks (their usage is in events clients expect)',
    (api) => {
      const stream = api === 'responses' ? responsesStream('x y') : anthropicStream('x y');
      const reader = new StreamResponseReader(api, { stripUsageOnlyFrames: true, now: () => 0 });
      for (const chunk of chunksOf(bytes(stream), 7)) expect(reader.push(chunk)).toBeUndefined();
      expect(reader.end()).toBeUndefined();
      expect(reader.done).toBe(true);
    },
  );

  it('forwards a stream without a usage-only frame unchanged', () => {
    const stream = vllmChatStream({ contentTokens: tokens(5), includeUsage: false });
    const input = bytes(stream);
    for (const size of [1, 3, 64, 16 * 1024]) {
      const result = readStream('chat_completions', chunksOf(input, size), true);
      expect(result.forwarded.equals(Buffer.from(input))).toBe(true);
      expect([result.strippedFrames, result.usage, result.done]).toEqual([0, undefined, true]);
    }
  });
});

describe('StreamResponseReader: errors, ends and bodies that are not SSE', () => {
  it.each<[string, LlmApi, string[], Partial<ReadResult>]>([
    [
      'vLLM chat error mid-stream, then [DONE]',
      'chat_completions',
      [
        vllmChatStream({ contentTokens: ['a'] }).frames[1]?.text as string,
        sseFrame(undefined, {
          error: {
            message: 'The decoder prompt (length 40000) is longer than the maximum model length of 32768.',
            type: 'BadRequestError',
            param: null,
            code: 400,
          },
        }),
        'data: [DONE]\n\n',
      ],
      {
        error: {
          type: 'BadRequestError',
          message: 'The decoder prompt (length 40000) is longer than the maximum model length of 32768.',
        },
        done: true,
        tokenFrames: 1,
      },
    ],
    [
      'Responses error event',
      'responses',
      [
        sseFrame('error', {
          type: 'error',
          code: 'ERR_SOMETHING',
          message: 'Something went wrong',
          param: null,
          sequence_number: 1,
        }),
      ],
      { error: { type: 'ERR_SOMETHING', message: 'Something went wrong' }, done: false },
    ],
    [
      'Responses response.failed',
      'responses',
      [
        sseFrame('response.failed', {
          type: 'response.failed',
          sequence_number: 3,
          response: {
            id: 'resp_123',
            object: 'response',
            status: 'failed',
            error: { code: 'server_error', message: 'The model failed to generate a response.' },
            usage: null,
          },
        }),
      ],
      { error: { type: 'server_error', message: 'The model failed to generate a response.' }, done: false },
    ],
    [
      'Responses response.incomplete ends the stream with usage',
      'responses',
      [
        sseFrame('response.output_text.delta', {
          type: 'response.output_text.delta',
          delta: 'Hi',
          sequence_number: 4,
        }),
        sseFrame('response.incomplete', {
          type: 'response.incomplete',
          sequence_number: 5,
          response: {
            status: 'incomplete',
            incomplete_details: { reason: 'max_output_tokens' },
            usage: { input_tokens: 10, output_tokens: 16, output_tokens_details: { reasoning_tokens: 12 } },
          },
        }),
      ],
      { done: true, usage: usage(10, 16, 0, 12), tokenFrames: 1 },
    ],
    [
      'Responses reasoning and tool-argument deltas are output; empty deltas are not',
      'responses',
      [
        sseFrame('response.reasoning_text.delta', { type: 'response.reasoning_text.delta', delta: 'Think' }),
        sseFrame('response.function_call_arguments.delta', {
          type: 'response.function_call_arguments.delta',
          delta: '{"a"',
        }),
        sseFrame('response.output_text.delta', { type: 'response.output_text.delta', delta: '' }),
        sseFrame('response.output_text.done', { type: 'response.output_text.done', text: 'x' }),
      ],
      { tokenFrames: 2, done: false },
    ],
    [
      'Anthropic error event',
      'messages',
      [
        sseFrame('message_start', {
          type: 'message_start',
          message: { id: 'msg_1', type: 'message', usage: { input_tokens: 25, output_tokens: 1 } },
        }),
        sseFrame('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }),
      ],
      { error: { type: 'overloaded_error', message: 'Overloaded' }, done: false },
    ],
    [
      'Anthropic cache usage: input + cache reads + cache writes',
      'messages',
      [
        sseFrame('message_start', {
          type: 'message_start',
          message: {
            id: 'msg_1',
            type: 'message',
            role: 'assistant',
            content: [],
            usage: {
              input_tokens: 50,
              cache_creation_input_tokens: 200,
              cache_read_input_tokens: 1000,
              output_tokens: 1,
            },
          },
        }),
        sseFrame('content_block_start', {
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'thinking', thinking: '' },
        }),
        sseFrame('content_block_delta', {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'thinking_delta', thinking: 'Let me' },
        }),
        sseFrame('content_block_delta', {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'signature_delta', signature: 'EqQBCgIYAh' },
        }),
        sseFrame('content_block_delta', {
          type: 'content_block_delta',
          index: 1,
          delta: { type: 'input_json_delta', partial_json: '' },
        }),
        sseFrame('content_block_delta', {
          type: 'content_block_delta',
          index: 1,
          delta: { type: 'input_json_delta', partial_json: '{"x":' },
        }),
        sseFrame('message_delta', {
          type: 'message_delta',
          delta: { stop_reason: 'tool_use' },
          usage: { output_tokens: 300 },
        }),
        sseFrame('message_stop', { type: 'message_stop' }),
      ],
      { usage: { ...usage(1250, 300, 1000), cacheWriteTokens: 200 }, tokenFrames: 2, done: true },
    ],
    [
      "vLLM's Anthropic stream: input tokens only in message_delta",
      'messages',
      [
        sseFrame('message_start', {
          type: 'message_start',
          message: {
            id: 'chatcmpl-1',
            type: 'message',
            role: 'assistant',
            content: [],
            model: 'Qwen/Qwen3-8B',
            usage: { input_tokens: 0, output_tokens: 0 },
          },
        }),
        sseFrame('content_block_start', {
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'text', text: '' },
        }),
        sseFrame('content_block_delta', {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'text_delta', text: 'Hi' },
        }),
        sseFrame('content_block_stop', { type: 'content_block_stop', index: 0 }),
        sseFrame('message_delta', {
          type: 'message_delta',
          delta: { stop_reason: 'end_turn' },
          usage: { input_tokens: 17, output_tokens: 9 },
        }),
        sseFrame('message_stop', { type: 'message_stop' }),
      ],
      { usage: { ...usage(17, 9), cacheWriteTokens: 0 }, tokenFrames: 1, done: true },
    ],
    [
      'a stream cut off before [DONE]',
      'chat_completions',
      vllmChatStream({ contentTokens: tokens(3) })
        .frames.slice(0, 3)
        .map((f) => f.text),
      { done: false, usage: undefined, tokenFrames: 2 },
    ],
    [
      'a JSON error body sent as an event stream is not SSE',
      'chat_completions',
      ['{"error":{"message":"Internal Server Error","type":"InternalServerError","code":500}}'],
      { unparsedFrames: 1, error: undefined, done: false },
    ],
    [
      'data that is not JSON, or not a JSON object',
      'chat_completions',
      ['data: hello\n\n', 'data: 42\n\n', 'data: {"choices": [\n\n'],
      { unparsedFrames: 3 },
    ],
    [
      'comments and keep-alives are SSE, not unparsed',
      'messages',
      [': ping\n\n', '\n', sseFrame('ping', { type: 'ping' })],
      { unparsedFrames: 0, tokenFrames: 0 },
    ],
    [
      '[DONE] is no end marker for Anthropic',
      'messages',
      ['data: [DONE]\n\n'],
      { done: false, unparsedFrames: 0 },
    ],
  ])('%s', (_label, api, texts, expected) => {
    const stream = streamOf(api, _label, texts);
    for (const strip of [false, true]) {
      const result = readStream(api, chunksOf(bytes(stream), 5), strip);
      expect(result).toMatchObject(expected);
      expect(result.forwarded.equals(Buffer.from(bytes(stream)))).toBe(true);
    }
  });

  it('truncates a long error message to 200 characters', () => {
    const message = `prompt: ${'confidential '.repeat(40)}`;
    const stream = streamOf('chat_completions', 'long', [
      sseFrame(undefined, { error: { type: 'x', message } }),
    ]);
    expect(readStream('chat_completions', [bytes(stream)], false).error?.message).toBe(message.slice(0, 200));
  });

  it('passes an oversized frame through untouched and counts it once', () => {
    const big = sseFrame(undefined, { choices: [{ index: 0, delta: { content: 'x'.repeat(5000) } }] });
    const stream = vllmChatStream({ contentTokens: ['a'] });
    const input = Buffer.concat([utf8(big), bytes(stream)]);
    for (const size of [64, 1000, input.length]) {
      let pushed = 0;
      const reader = new StreamResponseReader('chat_completions', {
        stripUsageOnlyFrames: true,
        now: () => pushed,
        maxFrameBytes: 1024,
      });
      const out: Uint8Array[] = [];
      for (const chunk of chunksOf(input, size)) {
        pushed += chunk.length;
        out.push(reader.push(chunk) ?? chunk);
      }
      out.push(reader.end() ?? new Uint8Array(0));
      expect(
        Buffer.concat(out).equals(Buffer.concat([utf8(big), Buffer.from(withoutUsageOnly(stream))])),
      ).toBe(true);
      expect([reader.unparsedFrames, reader.tokenFrames, reader.strippedFrames, reader.done]).toEqual([
        1,
        1,
        1,
        true,
      ]);
    }
  });
});
