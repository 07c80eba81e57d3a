// Whole JSON answers: read only plain (uncompressed) JSON of bounded size; everything else passes unread.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { LlmApi } from '../../../src/request/apis/types.ts';
import {
  isIdentityEncoding,
  isJsonContentType,
  type JsonResponse,
  readJsonResponse,
} from '../../../src/response/json-response.ts';

const CHAT = {
  id: 'chatcmpl-b1a2',
  object: 'chat.completion',
  created: 1_735_689_600,
  model: 'Qwen/Qwen3-8B',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Grüße aus 日本 🚀', tool_calls: [] },
      logprobs: null,
      finish_reason: 'stop',
      stop_reason: null,
    },
  ],
  usage: { prompt_tokens: 12, total_tokens: 40, completion_tokens: 28, prompt_tokens_details: null },
};
const CHAT_USAGE = { promptTokens: 12, completionTokens: 28, cachedPromptTokens: 0, reasoningTokens: 0 };
const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');

describe('readJsonResponse', () => {
  it.each<[string, LlmApi, Uint8Array, string | undefined, string | undefined, JsonResponse]>([
    [
      'chat completion',
      'chat_completions',
      json(CHAT),
      'application/json',
      undefined,
      { parsed: true, usage: CHAT_USAGE, finishReason: 'stop' },
    ],
    [
      'charset parameter',
      'chat_completions',
      json(CHAT),
      'application/json; charset=utf-8',
      undefined,
      { parsed: true, usage: CHAT_USAGE, finishReason: 'stop' },
    ],
    [
      'upper-case type',
      'chat_completions',
      json(CHAT),
      'Application/JSON',
      undefined,
      { parsed: true, usage: CHAT_USAGE, finishReason: 'stop' },
    ],
    [
      'identity encoding',
      'chat_completions',
      json(CHAT),
      'application/json',
      'identity',
      { parsed: true, usage: CHAT_USAGE, finishReason: 'stop' },
    ],
    [
      'empty encoding',
      'chat_completions',
      json(CHAT),
      'application/json',
      '',
      { parsed: true, usage: CHAT_USAGE, finishReason: 'stop' },
    ],
    [
      'a leading BOM',
      'chat_completions',
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json(CHAT)]),
      'application/json',
      undefined,
      { parsed: true, usage: CHAT_USAGE, finishReason: 'stop' },
    ],
    [
      'a vLLM error',
      'chat_completions',
      json({
        error: { message: 'The model `x` does not exist.', type: 'NotFoundError', param: null, code: 404 },
      }),
      'application/json',
      undefined,
      { parsed: true, error: { type: 'NotFoundError', message: 'The model `x` does not exist.' } },
    ],
    [
      'an Anthropic error (problem+json style types are JSON too)',
      'messages',
      json({
        type: 'error',
        error: { type: 'rate_limit_error', message: 'Number of requests has exceeded your rate limit' },
      }),
      'application/problem+json',
      undefined,
      {
        parsed: true,
        error: { type: 'rate_limit_error', message: 'Number of requests has exceeded your rate limit' },
      },
    ],
    [
      'an Anthropic message',
      'messages',
      json({
        id: 'msg_1',
        type: 'message',
        usage: { input_tokens: 10, cache_read_input_tokens: 90, output_tokens: 5 },
      }),
      'application/json',
      undefined,
      {
        parsed: true,
        usage: {
          promptTokens: 100,
          completionTokens: 5,
          cachedPromptTokens: 90,
          reasoningTokens: 0,
          cacheWriteTokens: 0,
        },
      },
    ],
    [
      'JSON without usage or error',
      'responses',
      json({ object: 'response', error: null }),
      'application/json',
      undefined,
      { parsed: true },
    ],
    ['gzip', 'chat_completions', gzipSync(json(CHAT)), 'application/json', 'gzip', { parsed: false }],
    [
      'gzip bytes even when they would parse',
      'chat_completions',
      json(CHAT),
      'application/json',
      'gzip',
      { parsed: false },
    ],
    ['br', 'chat_completions', json(CHAT), 'application/json', 'br', { parsed: false }],
    ['zstd', 'chat_completions', json(CHAT), 'application/json', 'zstd', { parsed: false }],
    [
      'a list of codings',
      'chat_completions',
      json(CHAT),
      'application/json',
      'gzip, identity',
      { parsed: false },
    ],
    ['text/plain', 'chat_completions', json(CHAT), 'text/plain', undefined, { parsed: false }],
    ['text/event-stream', 'chat_completions', json(CHAT), 'text/event-stream', undefined, { parsed: false }],
    ['no content type', 'chat_completions', json(CHAT), undefined, undefined, { parsed: false }],
    [
      'invalid JSON',
      'chat_completions',
      Buffer.from('{"usage": {"prompt_tokens": 1'),
      'application/json',
      undefined,
      { parsed: false },
    ],
    [
      'an HTML error page',
      'chat_completions',
      Buffer.from('<html>502 Bad Gateway</html>'),
      'application/json',
      undefined,
      { parsed: false },
    ],
    ['empty body', 'chat_completions', new Uint8Array(0), 'application/json', undefined, { parsed: false }],
  ])('%s', (_label, api, body, contentType, contentEncoding, expected) => {
    expect(readJsonResponse(api, body, contentType, contentEncoding)).toEqual(expected);
  });

  it('does not read a body over the size limit', () => {
    const body = json(CHAT);
    expect(
      readJsonResponse('chat_completions', body, 'application/json', undefined, { maxBytes: body.length }),
    ).toEqual({
      parsed: true,
      usage: CHAT_USAGE,
      finishReason: 'stop',
    });
    expect(
      readJsonResponse('chat_completions', body, 'application/json', undefined, {
        maxBytes: body.length - 1,
      }),
    ).toEqual({ parsed: false });
  });

  it('reads deeply nested JSON from the model server without failing', () => {
    const deep = `{"usage":{"prompt_tokens":1,"completion_tokens":2},"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const result = readJsonResponse('chat_completions', Buffer.from(deep), 'application/json', undefined);
    expect(result.parsed).toBe(true);
    expect(result.usage?.completionTokens).toBe(2);
  });
});

describe('content negotiation helpers', () => {
  it.each([
    ['application/json', true],
    ['application/vnd.api+json', true],
    ['application/json-seq', false],
    ['text/json', false],
    ['', false],
  ])('isJsonContentType(%j) = %s', (type, expected) => {
    expect(isJsonContentType(type)).toBe(expected);
  });

  it.each([
    [undefined, true],
    ['identity', true],
    [' IDENTITY ', true],
    ['gzip', false],
    ['deflate', false],
  ])('isIdentityEncoding(%j) = %s', (coding, expected) => {
    expect(isIdentityEncoding(coding)).toBe(expected);
  });
});
