// Usage and errors of whole JSON answers, as the API references and vLLM write them.
import { describe, expect, it } from 'vitest';
import type { LlmApi } from '../../../src/request/apis/types.ts';
import {
  errorFromJson,
  MAX_ERROR_MESSAGE_CHARS,
  mergeUsage,
  type ResponseError,
  type TokenUsage,
  truncateMessage,
  usageFromJson,
} from '../../../src/response/usage.ts';

const usage = (
  promptTokens: number,
  completionTokens: number,
  cachedPromptTokens = 0,
  reasoningTokens = 0,
): TokenUsage => ({ promptTokens, completionTokens, cachedPromptTokens, reasoningTokens });

describe('usageFromJson', () => {
  it.each<[string, LlmApi, unknown, TokenUsage | undefined]>([
    [
      'OpenAI chat completion with cached and reasoning tokens (API reference)',
      'chat_completions',
      {
        id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
        object: 'chat.completion',
        created: 1_741_570_283,
        model: 'o3-mini-2025-01-31',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'The answer.', refusal: null, annotations: [] },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage: {
          prompt_tokens: 1117,
          completion_tokens: 46,
          total_tokens: 1163,
          prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
          completion_tokens_details: {
            reasoning_tokens: 28,
            audio_tokens: 0,
            accepted_prediction_tokens: 0,
            rejected_prediction_tokens: 0,
          },
        },
        service_tier: 'default',
      },
      usage(1117, 46, 1024, 28),
    ],
    [
      'vLLM chat completion (prompt_tokens_details null)',
      'chat_completions',
      {
        id: 'chatcmpl-b1a2',
        object: 'chat.completion',
        created: 1_735_689_600,
        model: 'Qwen/Qwen3-8B',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', reasoning_content: 'Hmm.', content: 'Hi!', tool_calls: [] },
            logprobs: null,
            finish_reason: 'stop',
            stop_reason: null,
          },
        ],
        usage: { prompt_tokens: 12, total_tokens: 40, completion_tokens: 28, prompt_tokens_details: null },
        prompt_logprobs: null,
      },
      usage(12, 28),
    ],
    [
      'vLLM chat completion with prefix-cache details',
      'chat_completions',
      {
        usage: {
          prompt_tokens: 2048,
          total_tokens: 2060,
          completion_tokens: 12,
          prompt_tokens_details: { cached_tokens: 2032 },
        },
      },
      usage(2048, 12, 2032),
    ],
    [
      'vLLM completion',
      'completions',
      {
        id: 'cmpl-7f3a',
        object: 'text_completion',
        created: 1_735_689_600,
        model: 'Qwen/Qwen3-8B',
        choices: [{ index: 0, text: ' world', logprobs: null, finish_reason: 'length', stop_reason: null }],
        usage: { prompt_tokens: 5, total_tokens: 21, completion_tokens: 16, prompt_tokens_details: null },
      },
      usage(5, 16),
    ],
    [
      'Responses object (API reference)',
      'responses',
      {
        id: 'resp_67ccd3a9da748190baa7f1570fe91ac604becb25c45c1d41',
        object: 'response',
        created_at: 1_741_476_777,
        status: 'completed',
        error: null,
        model: 'gpt-4o-2024-08-06',
        output: [
          {
            type: 'message',
            id: 'msg_67ccd3acc8d48190a77525dc6de64b4104becb25c45c1d41',
            status: 'completed',
            role: 'assistant',
            content: [{ type: 'output_text', text: 'The image depicts…', annotations: [] }],
          },
        ],
        usage: {
          input_tokens: 328,
          input_tokens_details: { cached_tokens: 128 },
          output_tokens: 52,
          output_tokens_details: { reasoning_tokens: 10 },
          total_tokens: 380,
        },
      },
      usage(328, 52, 128, 10),
    ],
    [
      'Anthropic message: input_tokens excludes cache reads and writes',
      'messages',
      {
        id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        content: [{ type: 'text', text: 'Hi! My name is Claude.' }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: {
          input_tokens: 50,
          cache_creation_input_tokens: 200,
          cache_read_input_tokens: 1000,
          output_tokens: 300,
          service_tier: 'standard',
        },
      },
      { ...usage(1250, 300, 1000), cacheWriteTokens: 200 },
    ],
    [
      'vLLM Anthropic message (no cache fields)',
      'messages',
      { id: 'chatcmpl-1', type: 'message', usage: { input_tokens: 17, output_tokens: 9 } },
      { ...usage(17, 9), cacheWriteTokens: 0 },
    ],
    ['no usage', 'chat_completions', { id: 'x', choices: [] }, undefined],
    ['usage null', 'chat_completions', { usage: null }, undefined],
    ['usage without counts', 'chat_completions', { usage: { total_tokens: 3 } }, undefined],
    [
      'counts that are not numbers are 0',
      'chat_completions',
      { usage: { prompt_tokens: '12', completion_tokens: 3 } },
      usage(0, 3),
    ],
    ['negative counts are 0', 'responses', { usage: { input_tokens: -1, output_tokens: 2 } }, usage(0, 2)],
    [
      "another API's spelling is not read",
      'chat_completions',
      { usage: { input_tokens: 5, output_tokens: 6 } },
      undefined,
    ],
    ['not an object', 'messages', [1, 2], undefined],
    ['null', 'responses', null, undefined],
  ])('%s', (_label, api, body, expected) => {
    expect(usageFromJson(api, body)).toEqual(expected);
  });
});

describe('mergeUsage', () => {
  it('keeps the larger of each count (Anthropic start + cumulative delta, vLLM input only in the delta)', () => {
    const start = { ...usage(25, 1), cacheWriteTokens: 0 };
    expect(mergeUsage(start, { ...usage(0, 15), cacheWriteTokens: 0 })).toEqual({
      ...usage(25, 15),
      cacheWriteTokens: 0,
    });
    expect(
      mergeUsage({ ...usage(0, 0), cacheWriteTokens: 0 }, { ...usage(17, 9), cacheWriteTokens: 0 }),
    ).toEqual({
      ...usage(17, 9),
      cacheWriteTokens: 0,
    });
    expect(mergeUsage(undefined, usage(1, 2))).toEqual(usage(1, 2));
    expect(mergeUsage(usage(1, 2), usage(3, 1))).toEqual(usage(3, 2));
  });
});

describe('errorFromJson', () => {
  it.each<[string, LlmApi, unknown, ResponseError | undefined]>([
    [
      'OpenAI error',
      'chat_completions',
      {
        error: {
          message:
            'Incorrect API key provided: sk-abc. You can find your API key at https://platform.openai.com/account/api-keys.',
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      },
      {
        type: 'invalid_request_error',
        message:
          'Incorrect API key provided: sk-abc. You can find your API key at https://platform.openai.com/account/api-keys.',
      },
    ],
    [
      'vLLM error (ErrorResponse{error: ErrorInfo})',
      'chat_completions',
      {
        error: {
          message: "This model's maximum context length is 32768 tokens.",
          type: 'BadRequestError',
          param: null,
          code: 400,
        },
      },
      { type: 'BadRequestError', message: "This model's maximum context length is 32768 tokens." },
    ],
    [
      'older vLLM error (top level, object: error)',
      'completions',
      {
        object: 'error',
        message: 'The model `gpt-4` does not exist.',
        type: 'NotFoundError',
        param: null,
        code: 404,
      },
      { type: 'NotFoundError', message: 'The model `gpt-4` does not exist.' },
    ],
    [
      'Anthropic error',
      'messages',
      {
        type: 'error',
        error: { type: 'overloaded_error', message: 'Overloaded' },
        request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy',
      },
      { type: 'overloaded_error', message: 'Overloaded' },
    ],
    [
      'an OpenAI-shaped error on /v1/messages (vLLM)',
      'messages',
      { error: { message: 'bad', type: 'BadRequestError', code: 400 } },
      { type: 'BadRequestError', message: 'bad' },
    ],
    [
      'failed Responses object: the code is the type',
      'responses',
      {
        id: 'resp_1',
        object: 'response',
        status: 'failed',
        error: { code: 'server_error', message: 'The model failed to generate a response.' },
      },
      { type: 'server_error', message: 'The model failed to generate a response.' },
    ],
    [
      'error without type or code',
      'chat_completions',
      { error: { message: 'boom' } },
      { type: 'error', message: 'boom' },
    ],
    [
      'error without message',
      'chat_completions',
      { error: { type: 'server_error' } },
      { type: 'server_error', message: '' },
    ],
    [
      'a completed Responses object (error: null)',
      'responses',
      { object: 'response', status: 'completed', error: null },
      undefined,
    ],
    ['a chat completion', 'chat_completions', { object: 'chat.completion', choices: [] }, undefined],
    ['an error string is not an error object', 'chat_completions', { error: 'nope' }, undefined],
    ['not an object', 'chat_completions', 'error', undefined],
  ])('%s', (_label, api, body, expected) => {
    expect(errorFromJson(api, body)).toEqual(expected);
  });

  it('truncates messages (they may quote the prompt) to 200 characters', () => {
    const prompt = 'secret prompt text '.repeat(50);
    const error = errorFromJson('chat_completions', { error: { type: 'x', message: prompt } });
    expect(error?.message).toBe(prompt.slice(0, MAX_ERROR_MESSAGE_CHARS));
    expect(MAX_ERROR_MESSAGE_CHARS).toBe(200);
  });

  it('never cuts a surrogate pair in half', () => {
    const message = `${'a'.repeat(199)}🚀🚀`;
    expect(truncateMessage(message)).toBe('a'.repeat(199));
    expect(truncateMessage(`${'a'.repeat(198)}🚀🚀`)).toBe(`${'a'.repeat(198)}🚀`);
    expect(truncateMessage('short')).toBe('short');
  });
});
